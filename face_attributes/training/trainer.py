# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The Trainer with this project's input options: an augmentation on the device, a training sampler, and the
engine's memory format (`--channels_last`) for the model and every batch."""

import torch
from transformers import Trainer

from ..engine import Engine
from .map_prior import MapPrior


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
        map_prior: MapPrior | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.augment = None if augment is None else augment.to(self.args.device)
        self.train_sampler = train_sampler
        self.map_prior = map_prior
        self._map_prior_values = []  # since the last log
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
            if "region_boxes" in inputs:  # moved with each image's crop and flip
                inputs["pixel_values"], inputs["region_boxes"] = self.augment(
                    pixels, self.model.training, inputs["region_boxes"]
                )
            else:
                inputs["pixel_values"] = self.augment(pixels, train=self.model.training)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = self.engine.prepare_pixels(inputs["pixel_values"])
        return inputs

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        boxes = inputs.pop("region_boxes", None)
        if self.map_prior is None or boxes is None or not model.training:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        outputs = model(**inputs, output_attentions=True, output_hidden_states=True)
        maps = self.accelerator.unwrap_model(model).attention_grid(outputs)  # (B, L, H, W), head-averaged
        prior = self.map_prior.loss(maps, boxes, inputs["pixel_values"].shape[-1])
        self._map_prior_values.append(prior.detach().item())
        loss = outputs.loss + self.map_prior.weight * prior
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict, *args, **kwargs) -> None:
        if self._map_prior_values and "loss" in logs:  # the training log line: the prior's mean KL since the last
            logs["map_prior_kl"] = round(sum(self._map_prior_values) / len(self._map_prior_values), 4)
            self._map_prior_values = []
        super().log(logs, *args, **kwargs)
