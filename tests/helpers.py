# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Shared test helpers: tiny configs and a Python that cannot import this package."""

import json
import os
import subprocess
import sys
import textwrap

from transformers import ResNetConfig

# Prepended to scripts run in a separate process: any import of face_attributes fails there, as on a
# machine that only has the saved checkpoint folder.
BLOCK_PACKAGE = textwrap.dedent(
    """
    import importlib.abc, sys
    class _BlockFaceAttributes(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "face_attributes" or name.startswith("face_attributes."):
                raise ImportError("face_attributes is blocked in this test")
    sys.meta_path.insert(0, _BlockFaceAttributes())
    """
)


def tiny_backbone(out_features=("stage4",)) -> ResNetConfig:
    return ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1], layer_type="basic",
        out_features=list(out_features),
    )


def tiny_config(**overrides):
    from face_attributes import ResNetLstmAttentionConfig

    kwargs = dict(
        backbone_config=tiny_backbone(), lstm_hidden_size=8, num_attention_heads=2, num_labels=3,
        problem_type="multi_label_classification", image_size=64,
    )
    kwargs.update(overrides)
    return ResNetLstmAttentionConfig(**kwargs)


def run_without_package(script: str, cwd) -> dict:
    """Run `script` in a fresh Python that cannot import face_attributes; it must print one JSON line last."""
    env = {**os.environ, "PYTHONPATH": "", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_PACKAGE + textwrap.dedent(script)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def save_tiny_model(folder, labels=("Male", "Smiling", "Eyeglasses"), **overrides):
    """A tiny model folder as run_classification.py writes it (weights, config, code files, image processor)."""
    import torch

    from face_attributes import ResNetLstmAttentionForImageClassification
    from face_attributes.images import build_image_processor

    torch.manual_seed(0)
    config = tiny_config(num_labels=len(labels), id2label=dict(enumerate(labels)),
                         label2id={n: i for i, n in enumerate(labels)}, **overrides)  # fmt: skip
    ResNetLstmAttentionForImageClassification(config).eval().save_pretrained(folder)
    build_image_processor(config.image_size).save_pretrained(folder)
    return folder
