# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training options that change the model: the BCE `pos_weight` from label frequencies, frozen backbone stages, and
a trained model given new labels (a new label head on the trained body, which can be frozen)."""

import logging

import numpy as np
import torch

from ..data.labels import config_label_names

logger = logging.getLogger(__name__)

# The weights that belong to one label each: its learned query (per-label poolers) and its classifier row. The rest is
# the body: backbone, sequence encoder, and the attention's projections (keys and values), shared by every label.
LABEL_HEAD_PREFIXES = ("model.attribute_queries", "classifier.")


def is_label_head(name: str) -> bool:
    return name.startswith(LABEL_HEAD_PREFIXES)


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


def load_with_new_labels(model_name_or_path: str, config, label_names: list[str], pos_weight, **hub_kwargs):
    """A trained model for other labels, the 🤗 way: `from_pretrained(..., ignore_mismatched_sizes=True)` keeps the
    trained body and makes new label heads, initialised as a new model's are, and says which weights are new."""
    from transformers import AutoModelForImageClassification

    trained_on = config_label_names(config)
    config.id2label = dict(enumerate(label_names))
    config.label2id = {name: i for i, name in enumerate(label_names)}
    config.pos_weight = pos_weight  # the old one counts the old labels
    model = AutoModelForImageClassification.from_pretrained(
        model_name_or_path, config=config, ignore_mismatched_sizes=True, **hub_kwargs
    )
    # With as many labels as before the heads' shapes match, and from_pretrained keeps the old labels' heads: every
    # head is replaced by a new model's, so a label never starts from another label's weights.
    new_heads = {name: value for name, value in type(model)(config).state_dict().items() if is_label_head(name)}
    model.load_state_dict(new_heads, strict=False)
    logger.warning(
        "%s was trained on %d labels (%s); fine-tuning it on %d others (%s): the body is kept, these weights are newly "
        "initialised: %s.",
        model_name_or_path,
        len(trained_on),
        ", ".join(trained_on),
        len(label_names),
        ", ".join(label_names),
        ", ".join(new_heads),
    )
    return model


def _keep_in_eval_mode(norm: torch.nn.Module, inputs) -> None:
    # The Trainer puts the whole model in train mode every step; a frozen norm goes back to eval mode first.
    norm.eval()


def freeze_body(model: torch.nn.Module) -> list[str]:
    """Train the label heads only: every other weight is frozen, and the body's batch norms keep their running
    statistics (they normalise with them in training too, as in evaluation). Returns the weights left to train."""
    trainable = []
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(is_label_head(name))
        if is_label_head(name):
            trainable.append(name)
    if not trainable:
        raise ValueError("--freeze_body: this model has no label heads to train (model.attribute_queries, classifier).")
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.register_forward_pre_hook(_keep_in_eval_mode)
    return trainable
