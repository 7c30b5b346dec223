# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Per-attribute decision thresholds: saved beside a model (thresholds.json) or in an .onnx file's metadata."""

import json
import os

import numpy as np

THRESHOLDS_FILE = "thresholds.json"


def load_thresholds(model_dir: str, label_names: list[str], threshold: str | float = 0.5) -> np.ndarray:
    """A float → that cut for every attribute; "saved" → the per-attribute cuts in thresholds.json (in the metadata
    of an exported .onnx file)."""
    from .onnx_model import is_onnx_path, read_onnx_metadata

    if threshold != "saved":
        return np.full(len(label_names), float(threshold))
    if is_onnx_path(model_dir):
        path, saved = model_dir, read_onnx_metadata(model_dir).thresholds
        if saved is None:
            raise ValueError(f"{path} carries no thresholds (its folder had no {THRESHOLDS_FILE}): pass a number.")
    else:
        path = os.path.join(model_dir, THRESHOLDS_FILE)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} not found: train with run_classification.py --do_eval, or pass a number.")
        with open(path) as f:
            saved = json.load(f)
    missing = [name for name in label_names if name not in saved]
    if missing:
        raise ValueError(f"{path} has no threshold for {missing}.")
    return np.array([saved[name] for name in label_names], dtype=np.float64)


def has_saved_thresholds(model_dir: str) -> bool:
    """Whether `load_thresholds(model_dir, ..., "saved")` has per-attribute thresholds to read."""
    from .onnx_model import is_onnx_path, read_onnx_metadata

    if is_onnx_path(model_dir):
        return read_onnx_metadata(model_dir).thresholds is not None
    return os.path.exists(os.path.join(model_dir, THRESHOLDS_FILE))


def save_thresholds(model_dir: str, label_names: list[str], thresholds: np.ndarray) -> None:
    with open(os.path.join(model_dir, THRESHOLDS_FILE), "w") as f:
        json.dump({name: float(t) for name, t in zip(label_names, thresholds)}, f, indent=2)
