# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Pieces of the training script that are not Trainer plumbing: metrics, thresholds, tables, model card."""

import csv
import json
import os

import evaluate
import numpy as np
import torch
from transformers import EvalPrediction

from .metrics import ATTRIBUTE_METRICS_PATH
from .metrics.attribute_metrics import per_attribute

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


def positive_weights(labels: np.ndarray) -> list[float]:
    """negatives / positives per attribute, for BCE's pos_weight (1.0 where a class is missing)."""
    positives = labels.sum(axis=0)
    negatives = len(labels) - positives
    return [float(n / p) if p > 0 and n > 0 else 1.0 for n, p in zip(negatives, positives)]


def freeze_backbone_stages(model: torch.nn.Module, stages: list[str]) -> None:
    """Freeze ResNet backbone stages by name: "stem" is the embedder, "stageK" the K-th encoder stage."""
    backbone = model.base_model.backbone
    if not (hasattr(backbone, "embedder") and hasattr(backbone, "encoder")):
        raise ValueError("--freeze_stages works with ResNet-style backbones (embedder + encoder.stages).")
    modules = {"stem": backbone.embedder, **{f"stage{i + 1}": s for i, s in enumerate(backbone.encoder.stages)}}
    for stage in stages:
        if stage not in modules:
            raise ValueError(f"Unknown stage {stage!r} in --freeze_stages; choose from {list(modules)}.")
        for parameter in modules[stage].parameters():
            parameter.requires_grad_(False)


CELEBA_LICENCE = (
    "Trained on CelebA, which is available for non-commercial research purposes only "
    "(https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html): this model inherits that restriction. Do not use it "
    "commercially, and do not use it to identify people."
)


def write_model_card(
    output_dir: str, label_names: list[str], metrics: dict, dataset: str, arguments: dict, base: str,
    celeba: bool = False,
) -> None:  # fmt: skip
    """README.md in the output folder: metrics table, data, arguments and how to load it; with `celeba`, the
    dataset's non-commercial research licence."""
    rows = "\n".join(
        f"| {name} | " + " | ".join(_fmt(metrics.get(f"eval_{m}_{name}")) for m in METRIC_NAMES) + " |"
        for name in label_names
    )
    means = " | ".join(_fmt(metrics.get(f"eval_{m}")) for m in METRIC_NAMES)
    licence = f"\n## Licence\n\n{CELEBA_LICENCE}\n" if celeba else ""
    card = f"""---
library_name: transformers
license: {"other" if celeba else "mit"}
pipeline_tag: image-classification
tags: [face-attributes, celeba, multi-label, resnet, lstm, attention]
---

# ResNet → BiLSTM → attention face-attribute classifier

Multi-label classifier of {len(label_names)} facial attribute(s), one sigmoid output each, trained with
the face-attributes project's `run_classification.py`.

- Dataset: `{dataset}`
- Backbone weights at the start: `{base}`
{licence}
## Validation metrics

| attribute | accuracy | balanced accuracy | F1 | ROC-AUC |
|---|---|---|---|---|
| **mean** | {means} |
{rows}

## Use

```python
from transformers import pipeline

classifier = pipeline("image-classification", model="{os.path.basename(os.path.abspath(output_dir))}", trust_remote_code=True)
classifier("face.jpg", top_k={len(label_names)})  # one probability per attribute
```

Or `AutoModelForImageClassification.from_pretrained(path, trust_remote_code=True)` with
`AutoImageProcessor.from_pretrained(path)`; `thresholds.json` holds per-attribute thresholds chosen on validation.

## Training arguments

```json
{json.dumps(arguments, indent=2, sort_keys=True, default=str)}
```
"""
    with open(os.path.join(output_dir, "README.md"), "w") as f:
        f.write(card)


def _fmt(value) -> str:
    return "–" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.4f}"
