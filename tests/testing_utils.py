# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""What the tests share: tiny configs and model folders, data written in CelebA's on-disk formats, the README demo
command, a Python that cannot import this package, and the `slow` mark of the end-to-end tests."""

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from transformers import ResNetConfig

# CelebA's on-disk formats, written from synthetic faces, are the package's (scripts and users write them too).
from face_attributes.data.synthetic_files import write_celeba_release, write_hub_parquet, write_image_folder  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["Male", "Smiling", "Eyeglasses"]


def slow(test):
    """An end-to-end test (training, a browser, a subprocess): runs when RUN_SLOW=1, as transformers' @slow does."""
    run_slow = os.environ.get("RUN_SLOW", "0").lower() in ("1", "true", "yes")
    return pytest.mark.skipif(not run_slow, reason="slow end-to-end test: set RUN_SLOW=1")(test)


# ---------------------------------------------------------------- tiny models


def import_blocker(package: str) -> str:
    """Python source that, run first in a process, makes every import of `package` (and its modules) fail there."""
    return textwrap.dedent(
        f"""
        import importlib.abc, sys
        class _Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == {package!r} or name.startswith({package + "."!r}):
                    raise ImportError({package + " is blocked in this test"!r})
        sys.meta_path.insert(0, _Block())
        """
    )


# Prepended to scripts run in a separate process: any import of face_attributes fails there, as on a
# machine that only has the saved checkpoint folder.
BLOCK_PACKAGE = import_blocker("face_attributes")


def tiny_backbone(out_features=("stage4",)) -> ResNetConfig:
    return ResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=list(out_features),
    )


def tiny_config(**overrides):
    from face_attributes import ResNetLstmAttentionConfig

    kwargs = dict(
        backbone_config=tiny_backbone(),
        lstm_hidden_size=8,
        num_attention_heads=2,
        num_labels=3,
        problem_type="multi_label_classification",
        image_size=64,
    )
    kwargs.update(overrides)
    return ResNetLstmAttentionConfig(**kwargs)


def run_without_package(script: str, cwd) -> dict:
    """Run `script` in a fresh Python that cannot import face_attributes; it must print one JSON line last."""
    env = {**os.environ, "PYTHONPATH": "", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_PACKAGE + textwrap.dedent(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def save_tiny_model(folder, labels=tuple(LABELS), **overrides):
    """A tiny model folder as run_classification.py writes it (weights, config, code files, image processor)."""
    import torch

    from face_attributes import ResNetLstmAttentionForImageClassification
    from face_attributes.data.images import build_image_processor

    torch.manual_seed(0)
    config = tiny_config(
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={n: i for i, n in enumerate(labels)},
        **overrides,
    )
    ResNetLstmAttentionForImageClassification(config).eval().save_pretrained(folder)
    build_image_processor(config.image_size).save_pretrained(folder)
    return folder


# ---------------------------------------------------------------- the scripts and the README demo

TINY = shlex.split(
    "--dataset_name synthetic --label_columns all --backbone_name_or_path none --backbone_embedding_size "
    "8 --backbone_hidden_sizes 8 16 16 32 --backbone_depths 1 1 1 1 --lstm_hidden_size 16 "
    "--num_attention_heads 2 --image_size 64 --per_device_train_batch_size 16 --learning_rate 3e-3 "
    "--max_eval_samples 64 --max_predict_samples 32 --report_to none --disable_tqdm true "
    "--dataloader_num_workers 0 --dataloader_persistent_workers false --seed 0"
)


def readme_demo_command() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```bash\n(python run_classification\.py[^`]*?)```", readme).group(1)
    return command.replace("\\\n", " ").split()[2:]


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
