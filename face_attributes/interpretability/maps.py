# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Attribute maps on the token grid (the model's attention, or Grad-CAM for a model without it), and their
placement over the image's pixels."""

from typing import Protocol, runtime_checkable

import torch

from ..data.labels import config_label_names
from ..face_geometry import token_centres, token_stride, upsample_to_image  # noqa: F401

METHODS = ("attention", "contribution", "grad_cam", "grad_cam:STAGE")


@runtime_checkable
class AttributeMapModel(Protocol):
    """The map interface the pictures, the scores, the pipeline and the web demo use, implemented by the PyTorch
    model (`ResNetLstmAttentionForImageClassification`) and the ONNX runner (`OnnxClassifier`) alike: `config.id2label`
    names the labels, `model(pixel_values).logits` gives (B, L)."""

    config: object
    has_attention_maps: bool  # whether it attends over positions (Grad-CAM stands in where it does not)
    per_label_attention_maps: bool  # one map per label (Q = L), or one map for all

    def __call__(self, pixel_values: torch.Tensor, **kwargs): ...

    def logits_and_attention_grid(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (B, L), attention averaged over heads on its grid (B, Q, H, W))."""


@torch.no_grad()
def compute_attention_maps(model, pixel_values: torch.Tensor, attributes: list[str] | None = None):
    """(maps (B, M, H, W), probabilities (B, L), map titles) from the attentions the model returns.

    `attribute_queries` pooling: one map per chosen attribute, head-averaged. `self_attention_mean`: the pooled
    output is the mean over queries of the attended tokens, so the weight each token contributes is the
    attention averaged over queries (and heads): that one map is what the classifier actually used.
    """
    if not model.has_attention_maps:
        raise ValueError(
            f"A model with `pooling={model.config.pooling!r}` has no attention, so it has no attention maps."
        )
    logits, weights = model.logits_and_attention_grid(pixel_values)  # (B, L), (B, Q, H, W)
    maps, titles = select_attention_maps(model, weights, attributes)
    return maps, torch.sigmoid(logits.float()), titles


def select_attention_maps(model, weights: torch.Tensor, attributes: list[str] | None = None):
    """(maps (B, M, H, W), titles) from the head-averaged attention on its grid (B, Q, H, W): the chosen attributes'
    maps (default all), or the one map of a model without a map per label (see `compute_attention_maps`)."""
    names = config_label_names(model.config)
    if model.per_label_attention_maps:
        chosen = attributes or names
        return weights[:, _indices(names, chosen)], chosen  # (B, M, H, W)
    return weights.mean(dim=1, keepdim=True), ["attention (self-attention mean pooling)"]  # (B, 1, H, W)


def sum_to_one(maps: torch.Tensor) -> torch.Tensor:
    """Non-negative maps (B, M, H, W) scaled to sum to 1 each; uniform where a map is all zero."""
    total = maps.sum(dim=(2, 3), keepdim=True)
    uniform = torch.full_like(maps, 1.0 / (maps.shape[-2] * maps.shape[-1]))
    return torch.where(total > 0, maps / total.clamp_min(1e-12), uniform)


def grad_cam_maps(model, pixel_values: torch.Tensor, attributes: list[str] | None = None, stage: str | None = None):
    """(maps (B, M, H, W), probabilities (B, L), titles): Grad-CAM on a backbone stage's feature map (default: the
    token stage), one map per chosen attribute (Selvaraju et al. 2017: the map weighted by its channels' mean
    gradient of the logit, ReLU).

    For any variant; with the plain ResNet (`sequence_encoder="none"`, `pooling="global_average"`, stage4 tokens) it is
    the usual Grad-CAM of the last convolutional stage, and `stage="stage3"` gives the finer map of the stage
    before. Each map sums to 1 (uniform where the ReLU leaves nothing).
    """
    names = config_label_names(model.config)
    chosen = attributes or names
    base = model.base_model
    stage_index = base.token_stage_index if stage is None else base.backbone.stage_names.index(stage)
    with torch.enable_grad():
        outputs = model(pixel_values, output_hidden_states=True)
        feature_map = outputs.hidden_states[stage_index]  # (B, C, H, W), on the logits' path
        maps = []
        for index in _indices(names, chosen):
            gradient = torch.autograd.grad(outputs.logits[:, index].sum(), feature_map, retain_graph=True)[0]
            channel_weights = gradient.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
            maps.append(torch.relu((channel_weights * feature_map).sum(dim=1)).detach())  # (B, H, W)
    maps = sum_to_one(torch.stack(maps, dim=1).float())  # (B, M, H, W)
    return maps, torch.sigmoid(outputs.logits.detach().float()), chosen


@torch.no_grad()
def contribution_maps(model, pixel_values: torch.Tensor, attributes: list[str] | None = None):
    """(maps (B, M, H, W), probabilities (B, L)): each position's share of the evidence for what the model predicts.

    A position's contribution to a logit (`logits_and_contributions`: attention weight × what its value says about the
    label) can argue for the label or against it; the map keeps the contributions that agree with the prediction
    (positive ones where the label is predicted, negative ones where it is not), as Grad-CAM keeps the positive part,
    and sums to 1 (uniform where nothing agrees)."""
    if not hasattr(model, "logits_and_contributions"):
        raise ValueError(f"{type(model).__name__} has no contribution read-out: use the PyTorch model.")
    logits, contributions = model.logits_and_contributions(pixel_values)  # (B, L), (B, L, H, W)
    indices = _indices(config_label_names(model.config), attributes or config_label_names(model.config))
    side = torch.where(logits[:, indices] >= 0, 1.0, -1.0)[..., None, None]  # (B, M, 1, 1): the predicted side
    return sum_to_one(torch.relu(contributions[:, indices] * side)), torch.sigmoid(logits.float())  # (B, M, H, W)


def attribute_maps(model, pixel_values: torch.Tensor, attributes: list[str], method: str = "attention"):
    """(maps (B, M, H, W) with one map per attribute, probabilities (B, L)) by `method`: "attention", "contribution"
    (`contribution_maps`), "grad_cam" (on the token stage) or "grad_cam:STAGE". A `self_attention_mean` model's single
    attention map stands for every attribute."""
    if method.split(":")[0] == "grad_cam":
        stage = method.split(":", 1)[1] if ":" in method else None
        maps, probabilities, _ = grad_cam_maps(model, pixel_values, attributes, stage)
        return maps, probabilities
    if method == "contribution":
        return contribution_maps(model, pixel_values, attributes)
    if method != "attention":
        raise ValueError(f"Unknown map method {method!r}; choose one of {METHODS}.")
    maps, probabilities, _ = compute_attention_maps(model, pixel_values, attributes)
    return maps.expand(-1, len(attributes), -1, -1), probabilities  # (B, M, H, W)


def _indices(names: list[str], chosen: list[str]) -> list[int]:
    unknown = [a for a in chosen if a not in names]
    if unknown:
        raise ValueError(f"Unknown attribute(s) {unknown}; the model predicts {names}.")
    return [names.index(a) for a in chosen]
