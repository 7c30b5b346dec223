# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Metrics for the Trainer and after it: the shipped `evaluate` metric, per-attribute thresholds, the table."""

import csv
import json
import os

import evaluate
import numpy as np
from transformers import EvalPrediction

from ..metrics import ATTRIBUTE_METRICS_PATH
from ..metrics.attribute_metrics import per_attribute

METRIC_NAMES = ("accuracy", "balanced_accuracy", "f1", "roc_auc")


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def make_compute_metrics(label_names: list[str]):
    """Trainer's `compute_metrics`: the shipped `evaluate` metric on sigmoid probabilities."""
    metric = evaluate.load(ATTRIBUTE_METRICS_PATH)

    def compute_metrics(prediction: EvalPrediction) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        return metric.compute(
            predictions=sigmoid(logits), references=prediction.label_ids.astype(np.int8), label_names=label_names
        )

    return compute_metrics


def choose_thresholds(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per attribute, the probability cut that maximises balanced accuracy (ties: the one nearest 0.5)."""
    candidates = np.unique(np.concatenate([np.linspace(0.05, 0.95, 91), [0.5]]))
    scores = np.stack([per_attribute(probabilities, labels, t)["balanced_accuracy"] for t in candidates])
    scores = np.nan_to_num(scores, nan=-1.0) - 1e-9 * np.abs(candidates - 0.5)[:, None]
    return candidates[scores.argmax(axis=0)]


def write_attribute_table(output_dir: str, label_names: list[str], metrics: dict, prefix: str) -> None:
    """`<prefix>_attribute_metrics.json/.csv`: one row per attribute with the four metrics."""
    rows = [
        {"attribute": name, **{m: metrics.get(f"{prefix}_{m}_{name}") for m in METRIC_NAMES}} for name in label_names
    ]
    with open(os.path.join(output_dir, f"{prefix}_attribute_metrics.json"), "w") as f:
        json.dump(rows, f, indent=2)
    with open(os.path.join(output_dir, f"{prefix}_attribute_metrics.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["attribute", *METRIC_NAMES])
        writer.writeheader()
        writer.writerows(rows)
