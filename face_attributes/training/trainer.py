# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The Trainer with this project's input options: an augmentation on the device, a training sampler, and the
engine's memory format (`--channels_last`) for the model and every batch."""

import torch
from transformers import Trainer

from ..engine import Engine


class AttributeTrainer(Trainer):
    """A Trainer that (with `augment`, e.g. `MarginCropAugment`) turns uint8 `pixels` into `pixel_values` on the
    device, (with `train_sampler`) draws training images with that sampler instead of shuffling them, and puts the
    model and every batch in the memory format of `args.engine` (AttributeTrainingArguments; else contiguous).
    bf16 autocast is the Trainer's own (`--bf16`, through accelerate)."""

    def __init__(
        self,
        *args,
        augment: torch.nn.Module | None = None,
        train_sampler: torch.utils.data.Sampler | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.augment = None if augment is None else augment.to(self.args.device)
        self.train_sampler = train_sampler
        self.engine = getattr(self.args, "engine", Engine())
        self.engine.prepare_model(self.model)

    def _get_train_sampler(self, train_dataset=None):
        if self.train_sampler is not None:
            return self.train_sampler
        return super()._get_train_sampler(train_dataset)

    def _prepare_inputs(self, inputs: dict) -> dict:
        # The seam between data loading and the step: inputs are on the device here, before the forward.
        inputs = super()._prepare_inputs(inputs)
        if self.augment is not None:
            pixels = inputs.pop("pixels")
            inputs["pixel_values"] = self.augment(pixels, train=self.model.training)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = self.engine.prepare_pixels(inputs["pixel_values"])
        return inputs
