# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training options that change the model: the BCE `pos_weight` from label frequencies, frozen backbone stages."""

import numpy as np
import torch


def positive_weights(labels: np.ndarray) -> list[float]:
    """negatives / positives per attribute, for BCE's pos_weight (1.0 where a class is missing)."""
    positives = labels.sum(axis=0)
    negatives = len(labels) - positives
    return [float(n / p) if p > 0 and n > 0 else 1.0 for n, p in zip(negatives, positives)]


def freeze_backbone_stages(model: torch.nn.Module, stages: list[str]) -> None:
    """Freeze backbone stages by name: "stem", "stageK" (the stages the model built; its backbone adapter says
    which module each name is)."""
    try:
        modules = model.base_model.backbone_adapter.stage_modules()
    except ValueError as error:
        raise ValueError(f"--freeze_stages: {error}") from error
    for stage in stages:
        if stage not in modules:
            raise ValueError(f"Unknown stage {stage!r} in --freeze_stages; choose from {list(modules)}.")
        for parameter in modules[stage].parameters():
            parameter.requires_grad_(False)
