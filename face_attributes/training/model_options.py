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
