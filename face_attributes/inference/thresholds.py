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
    from .onnx_model import is_onnx_path

    if threshold != "saved":
        return np.full(len(label_names), float(threshold))
    path, saved = read_per_attribute(model_dir, THRESHOLDS_FILE, "thresholds")
    if saved is None and is_onnx_path(model_dir):
        raise ValueError(f"{path} carries no thresholds (its folder had no {THRESHOLDS_FILE}): pass a number.")
    if saved is None:
        raise FileNotFoundError(f"{path} not found: train with run_classification.py --do_eval, or pass a number.")
    return per_attribute_values(path, saved, label_names, "threshold")


def read_per_attribute(model_dir: str, file_name: str, metadata_field: str) -> tuple[str, dict | None]:
    """(where it was looked for, {attribute: value} or None): `file_name` in a model folder, or the `metadata_field`
    of an exported .onnx file's metadata."""
    from .onnx_model import is_onnx_path, read_onnx_metadata

    if is_onnx_path(model_dir):
        return model_dir, getattr(read_onnx_metadata(model_dir), metadata_field)
    path = os.path.join(model_dir, file_name)
    if not os.path.exists(path):
        return path, None
    with open(path) as f:
        return path, json.load(f)


def per_attribute_values(path: str, saved: dict, label_names: list[str], what: str) -> np.ndarray:
    """The values (L,) in label order; a clear error naming the attributes `saved` (read from `path`) lacks."""
    missing = [name for name in label_names if name not in saved]
    if missing:
        raise ValueError(f"{path} has no {what} for {missing}.")
    return np.array([saved[name] for name in label_names], dtype=np.float64)


def has_saved_thresholds(model_dir: str) -> bool:
    """Whether `load_thresholds(model_dir, ..., "saved")` has per-attribute thresholds to read."""
    return read_per_attribute(model_dir, THRESHOLDS_FILE, "thresholds")[1] is not None


def save_thresholds(model_dir: str, label_names: list[str], thresholds: np.ndarray) -> None:
    with open(os.path.join(model_dir, THRESHOLDS_FILE), "w") as f:
        json.dump({name: float(t) for name, t in zip(label_names, thresholds)}, f, indent=2)
