# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Per-attribute temperatures (`--calibrate temperature`): probability = sigmoid(logit / T), one T per attribute.

Fitted on validation by `training.calibration.fit_temperatures`, saved beside the model as temperatures.json (in an
exported .onnx file's metadata), and applied wherever the project turns logits into probabilities: the pipeline,
`scripts/predict.py`, the web demo. A folder without the file has T = 1 for every attribute: its probabilities are
the plain sigmoid, as before the option existed. A positive T never moves a logit across 0, so the decisions at 0.5
(and the accuracy) stay the same; only how confident the probabilities are changes.
"""

import json
import os

import numpy as np
import torch

from .thresholds import per_attribute_values, read_per_attribute

TEMPERATURES_FILE = "temperatures.json"


def load_temperatures(model_dir: str, label_names: list[str]) -> np.ndarray:
    """The saved temperatures (L,) of a folder or an exported .onnx file; ones when it has none."""
    path, saved = read_per_attribute(model_dir, TEMPERATURES_FILE, "temperatures")
    if saved is None:
        return np.ones(len(label_names))
    return per_attribute_values(path, saved, label_names, "temperature")


def save_temperatures(model_dir: str, label_names: list[str], temperatures: np.ndarray) -> None:
    with open(os.path.join(model_dir, TEMPERATURES_FILE), "w") as f:
        json.dump({name: float(t) for name, t in zip(label_names, temperatures)}, f, indent=2)


def calibrated_probabilities(logits: torch.Tensor, temperatures: np.ndarray) -> torch.Tensor:
    """sigmoid(logits / T) for logits (B, L) and temperatures (L,), in the logits' dtype and device."""
    return torch.sigmoid(logits / torch.as_tensor(temperatures, dtype=logits.dtype, device=logits.device))
