# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The uint8 preprocessing cache, device-side augmentation, and a smoke run of the benchmark script."""

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from datasets import DatasetDict

from face_attributes.data.images import build_transforms
from face_attributes.data.sources import load_synthetic
from face_attributes.training.uint8_cache import CachedBatchCollator, DeviceAugment, build_uint8_cache, stored_size

from testing_utils import TINY, slow

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["Male", "Smiling"]


def small_synthetic(tmp_path) -> DatasetDict:
    dataset = load_synthetic(sizes={"train": 8, "validation": 4, "test": 0}, cache_dir=str(tmp_path / "hf"))
    return DatasetDict({k: v.select_columns(["image", *LABELS]) for k, v in dataset.items() if len(v)})


def test_cache_stores_uint8_at_train_margin_and_eval_size_and_is_reused(tmp_path):
    dataset = small_synthetic(tmp_path)
    cached = build_uint8_cache(dataset, 56, LABELS)
    assert cached["train"][0]["pixels"].shape == (3, stored_size(56, "train"), stored_size(56, "train")) == (3, 64, 64)
    assert cached["validation"][0]["pixels"].dtype == np.uint8
    assert cached["validation"][0]["pixels"].shape == (3, 56, 56)
    assert list(cached["train"]["Male"]) == dataset["train"]["Male"]
    again = build_uint8_cache(dataset, 56, LABELS)
    assert again["train"].cache_files == cached["train"].cache_files  # the fingerprint cache, not a rebuild


def test_cached_eval_batch_equals_the_eval_transform(tmp_path):
    dataset = small_synthetic(tmp_path)
    cached = build_uint8_cache(dataset, 56, LABELS)["validation"]
    batch = CachedBatchCollator(LABELS)([cached[i] for i in range(4)])
    assert batch["labels"].shape == (4, 2) and batch["labels"].dtype == torch.float32
    _, eval_transform = build_transforms(56)
    expected = torch.stack([eval_transform(dataset["validation"][i]["image"]) for i in range(4)])
    torch.testing.assert_close(DeviceAugment(56)(batch["pixels"], train=False), expected, atol=1e-5, rtol=0)


def test_device_augment_crops_windows_and_flips():
    torch.manual_seed(0)
    pixels = torch.randint(0, 256, (16, 3, 20, 20), dtype=torch.uint8)
    augment = DeviceAugment(16, mean=(0, 0, 0), std=(1, 1, 1), jitter=0.0)
    out = augment(pixels, train=True)
    assert out.shape == (16, 3, 16, 16)
    flips = 0
    for image, source in zip(out, pixels.float() / 255):
        windows = source.unfold(1, 16, 1).unfold(2, 16, 1)  # (3, 5, 5, 16, 16)
        plain = (windows - image[:, None, None]).abs().amax(dim=(0, 3, 4)).min()
        flipped = (windows - image.flip(-1)[:, None, None]).abs().amax(dim=(0, 3, 4)).min()
        assert min(plain, flipped) < 1e-6  # every output is a 16×16 window of its own input, maybe mirrored
        flips += bool(flipped < 1e-6 and plain > 1e-6)
    assert 0 < flips < 16


def test_run_classification_with_preprocessing_cache(tmp_path):
    sys.path.insert(0, str(ROOT))
    import run_classification

    results = run_classification.main(
        [
            *TINY,
            "--output_dir",
            str(tmp_path),
            *shlex.split("--do_train --do_eval --max_steps 3 --label_columns Male --preprocessing_cache"),
        ]
    )
    assert "eval_accuracy" in results and (tmp_path / "model.safetensors").exists()


@slow
def test_benchmark_script_smoke():
    command = [
        sys.executable,
        "scripts/benchmark.py",
        "--tiny",
        "--sources",
        "--faces",
        "--onnx",
        "--checkpointing_memory",
        "--rungs",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "| 64 | train | this model |" in out and "| 64 | train | plain ResNet-18 |" in out
    for rung in ("attention", "bilstm-mean", "gru-queries"):
        assert f"| 64 | train | {rung} |" in out
    assert "cache / on-the-fly" in out and "Data wait in a training loop" in out
    assert "original release (txt)" in out and "train transform at 224 px" in out
    assert "| 512×329 | 1 | 5 |" in out  # the group photo's five faces, found at 512 px wide too
    for runtime in ("PyTorch eager", "ONNX Runtime fp32", "ONNX Runtime int8"):
        assert f"| 64 | 1 | {runtime} |" in out
    assert "| 4 | 64 | off |" in out and "| 4 | 64 | on |" in out and "With checkpointing:" in out
