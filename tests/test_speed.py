# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The uint8 preprocessing cache, the margin_crop augmentation on the device, and a smoke run of the benchmark
script."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import DatasetDict
from safetensors.torch import load_file

from face_attributes.data.images import eval_transform
from face_attributes.data.sources import load_synthetic
from face_attributes.engine import cpu_bf16_instructions, describe_device
from face_attributes.training.augmentation import MarginCropAugment, resolve_augmentation, stored_size
from face_attributes.training.uint8_cache import Uint8BatchCollator, build_uint8_cache, set_uint8_transforms

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
    batch = Uint8BatchCollator(LABELS)([cached[i] for i in range(4)])
    assert batch["labels"].shape == (4, 2) and batch["labels"].dtype == torch.float32
    transform = eval_transform(56)
    expected = torch.stack([transform(dataset["validation"][i]["image"]) for i in range(4)])
    torch.testing.assert_close(MarginCropAugment(56)(batch["pixels"], train=False), expected, atol=1e-5, rtol=0)


def test_margin_crop_crops_windows_and_flips():
    torch.manual_seed(0)
    pixels = torch.randint(0, 256, (16, 3, 20, 20), dtype=torch.uint8)
    augment = MarginCropAugment(16, mean=(0, 0, 0), std=(1, 1, 1), jitter=0.0)
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


def test_margin_crop_on_the_fly_gives_the_cache_rows(tmp_path):
    dataset = small_synthetic(tmp_path)
    cached = build_uint8_cache(dataset, 56, LABELS)
    on_the_fly = DatasetDict({split: ds.with_format(None) for split, ds in dataset.items()})
    set_uint8_transforms(on_the_fly, 56, LABELS)
    for split in ("train", "validation"):
        for i in range(len(dataset[split])):
            row = on_the_fly[split][i]
            np.testing.assert_array_equal(row["pixels"], cached[split][i]["pixels"])
            assert [row[c] for c in LABELS] == [int(cached[split][i][c]) for c in LABELS]


def test_augmentation_defaults_to_each_pipelines_own_and_refuses_resized_crop_on_the_cache():
    assert resolve_augmentation(None, preprocessing_cache=False) == "resized_crop"
    assert resolve_augmentation(None, preprocessing_cache=True) == "margin_crop"
    assert resolve_augmentation("margin_crop", preprocessing_cache=False) == "margin_crop"
    with pytest.raises(
        ValueError, match="resized_crop.*drop --preprocessing_cache, or pass --augmentation margin_crop"
    ):
        resolve_augmentation("resized_crop", preprocessing_cache=True)


def train_tiny(output_dir: Path, *flags: str) -> tuple[dict[str, torch.Tensor], dict]:
    """(the weights, the results) of a 3-step tiny run with validation."""
    sys.path.insert(0, str(ROOT))
    import run_classification

    command = [*TINY, "--output_dir", str(output_dir), "--do_train", "--do_eval", "--max_steps", "3"]
    results = run_classification.main([*command, "--label_columns", "Male", *flags])
    return load_file(output_dir / "model.safetensors"), results


def test_the_cache_is_only_a_speed_option_for_margin_crop(tmp_path):
    # The same seed: margin_crop decoded on the fly trains bit-identical weights to the cache; the default per-image
    # augmentation (resized_crop) trains others, so the comparison can tell the two apart.
    cached, cached_results = train_tiny(tmp_path / "cache", "--preprocessing_cache")
    on_the_fly, on_the_fly_results = train_tiny(tmp_path / "margin", "--augmentation", "margin_crop")
    resized, _ = train_tiny(tmp_path / "resized")
    assert cached.keys() == on_the_fly.keys()
    assert all(torch.equal(cached[k], on_the_fly[k]) for k in cached)
    assert not all(torch.equal(cached[k], resized[k]) for k in cached)
    assert cached_results["eval_loss"] == on_the_fly_results["eval_loss"]  # validation reads the same pixels too
    assert "augmentation margin_crop" in (tmp_path / "cache" / "README.md").read_text()  # the model card names it
    assert "augmentation resized_crop" in (tmp_path / "resized" / "README.md").read_text()


def test_benchmark_leaves_out_emulated_bf16_unless_named(monkeypatch, capsys):
    # On a CPU without native bf16 the default table is fp32 alone; naming bf16 in --engines measures it anyway
    # (emulated: what the recipe's detection spares such a CPU), and both cases say so on stderr.
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    from benchmarks import models

    monkeypatch.setattr(models, "bf16_problem", lambda device: "no bf16 on this CPU")
    assert models.benchmark_engines(None, "cpu") == ["fp32"]
    assert "bf16 rows left out: no bf16 on this CPU" in capsys.readouterr().err
    assert models.benchmark_engines(["fp32", "bf16+channels_last"], "cpu") == ["fp32", "bf16+channels_last"]
    assert "bf16 rows measured although no bf16 on this CPU" in capsys.readouterr().err
    monkeypatch.setattr(models, "bf16_problem", lambda device: None)
    assert models.benchmark_engines(None, "cpu") == ["fp32", "bf16+channels_last"]
    assert capsys.readouterr().err == ""


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
        "--profile",
        "--predict",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    # fp32 and, where the CPU runs bf16 natively, bf16 + channels_last side by side, each with both ratios.
    engines = ["fp32"] + (["bf16 + channels_last"] if cpu_bf16_instructions() else [])
    for engine in engines:
        assert (
            f"| 64 | train | {engine} | this model |" in out and f"| 64 | train | {engine} | plain ResNet-18 |" in out
        )
        for rung in ("attention", "bilstm-mean", "gru-queries"):
            assert f"| 64 | train | {engine} | {rung} |" in out
    assert "| 64 | train | fp32 | plain ResNet-18 | " in out and " | 1.00 | 1.00 |" in out
    assert f"cpu: {describe_device('cpu')}" in out.splitlines()[0]
    assert "| LSTM (fwd + bwd) |" in out and "| **total** |" in out  # the profile
    for engine in ["eager fp32", "ONNX Runtime int8"] + (["eager bf16 + channels_last"] if len(engines) > 1 else []):
        assert f"| aligned faces | {engine} | 8 |" in out and f"| group photos, MTCNN | {engine} | 8 |" in out
    assert (
        "cache / resized_crop on the fly" in out
        and "cache / margin_crop on the fly" in out
        and "Data wait in a training loop" in out
    )
    assert "original release (txt)" in out and "train transform at 224 px" in out
    assert "| 512×329 | 1 | 5 |" in out  # the group photo's five faces, found at 512 px wide too
    for runtime in ("PyTorch eager", "ONNX Runtime fp32", "ONNX Runtime int8"):
        assert f"| 64 | 1 | {runtime} |" in out
    if len(engines) > 1:
        assert "| 64 | 1 | PyTorch eager bf16 + channels_last |" in out
    assert "| 4 | 64 | off |" in out and "| 4 | 64 | on |" in out and "With checkpointing:" in out


@slow
def test_gpu_check_rehearses_on_the_cpu(tmp_path):
    # The device minutes are few: the prepared GPU check must not break unnoticed (README's demo command changing,
    # a flag renamed). Shrunk, it runs here and its report holds every section, with a number in each.
    demo_args = "--max_train_samples 64 --max_eval_samples 32 --max_predict_samples 32 --num_train_epochs 1"
    environment = {**os.environ, "BENCH_ARGS": "--tiny", "DEMO_ARGS": f"{demo_args} --dataloader_num_workers 1"}
    result = subprocess.run(
        ["bash", "scripts/gpu_check.sh", str(tmp_path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "gpu_check.md").read_text()
    assert report == result.stdout
    assert "no nvidia-smi: not a GPU machine (a rehearsal on " in report
    assert "| 64 | train | fp32 | this model |" in report and "| 64 | train | fp32 | plain ResNet-18 |" in report
    assert "failed or ran past" not in report
    assert "'eval_accuracy': " in report and "'test_accuracy': " in report and "wall time: " in report
    assert (tmp_path / "gpu_demo" / "model.safetensors").is_file()
    assert "1 skipped" in report.split("## Tests that need CUDA")[1]  # here: skipped for want of a GPU, not erroring
