# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The Trainer that feeds the uint8 cache's batches through the device augmentation."""

from transformers import Trainer

from .uint8_cache import DeviceAugment


class CachedPixelsTrainer(Trainer):
    """A Trainer whose batches carry uint8 `pixels`: they become `pixel_values` on the device."""

    def __init__(self, *args, image_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.augment = DeviceAugment(image_size).to(self.args.device)

    def _prepare_inputs(self, inputs: dict) -> dict:
        # The seam between data loading and the step: inputs are on the device here, before the forward.
        inputs = super()._prepare_inputs(inputs)
        pixels = inputs.pop("pixels")
        inputs["pixel_values"] = self.augment(pixels, train=self.model.training)
        return inputs
