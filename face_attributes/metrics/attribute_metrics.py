# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Per-attribute multi-label metrics for `evaluate`: accuracy, balanced accuracy, F1 and ROC-AUC, and their means.

Loaded by path (`evaluate.load(ATTRIBUTE_METRICS_PATH)`), so no Hub fetch happens at run time.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """Multi-label attribute metrics. `predictions` are per-attribute probabilities (N, L), `references`
0/1 labels (N, L). Returns `accuracy`, `balanced_accuracy`, `f1` and `roc_auc` (means over attributes) and, with
`label_names`, the same four per attribute as `<metric>_<name>`."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of per-attribute probabilities, shape (N, L).
    references: list of 0/1 labels, shape (N, L).
    threshold: probability at or above which an attribute counts as present (default 0.5).
    label_names: optional list of L attribute names for the per-attribute entries.
"""


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney U form of the ROC-AUC with tied scores sharing their average rank; NaN for one class."""
    positives = labels.sum()
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over runs of tied scores.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(scores)]])
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def per_attribute(probabilities: np.ndarray, labels: np.ndarray, threshold) -> dict[str, np.ndarray]:
    predicted = probabilities >= np.asarray(threshold)
    actual = labels.astype(bool)
    tp = (predicted & actual).sum(0)
    tn = (~predicted & ~actual).sum(0)
    fp = (predicted & ~actual).sum(0)
    fn = (~predicted & actual).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        specificity = np.where(tn + fp > 0, tn / (tn + fp), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 1.0)
    return {
        "accuracy": (tp + tn) / len(labels),
        "balanced_accuracy": np.nanmean(np.stack([recall, specificity]), axis=0),
        "f1": f1,
        "roc_auc": np.array([roc_auc(probabilities[:, j], labels[:, j]) for j in range(labels.shape[1])]),
    }


class AttributeMetrics(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("float32")),
                    "references": datasets.Sequence(datasets.Value("int8")),
                }
            ),
        )

    def _compute(self, predictions, references, threshold=0.5, label_names=None):
        probabilities = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.int64)
        table = per_attribute(probabilities, labels, threshold)
        results = {name: float(np.nanmean(values)) for name, values in table.items()}
        for index, label in enumerate(label_names or []):
            for name, values in table.items():
                results[f"{name}_{label}"] = float(values[index])
        return results
