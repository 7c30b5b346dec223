# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""uint8 inputs for `margin_crop`: every image decoded and resized once into a memory-mapped cache, or on the fly
with the same resize; either way the batches are augmented on the device (training/augmentation.py)."""

import numpy as np
import torch
from datasets import Array3D, DatasetDict, Features

from ..data.images import resize_to_uint8
from .augmentation import stored_size


def _resize_batch(images: list, side: int) -> dict:
    pixels = np.empty((len(images), 3, side, side), dtype=np.uint8)
    for i, image in enumerate(images):
        pixels[i] = resize_to_uint8(image, side)
    return {"pixels": pixels}


def build_uint8_cache(
    dataset: DatasetDict, image_size: int, label_columns: list[str], num_proc: int | None = None
) -> DatasetDict:
    """Every split → `pixels` (3, S, S) uint8 + the label columns; S = image_size (+ margin for train)."""
    cached = {}
    for split, ds in dataset.items():
        side = stored_size(image_size, split)
        features = Features({"pixels": Array3D((3, side, side), "uint8"), **{c: ds.features[c] for c in label_columns}})
        cached[split] = ds.map(
            _resize_batch,
            fn_kwargs={"side": side},
            input_columns=["image"],
            batched=True,
            batch_size=64,
            remove_columns=["image"],
            features=features,
            num_proc=num_proc,
            writer_batch_size=256,
            desc=f"Caching {split} at {side}px uint8",
        ).with_format("numpy", dtype=np.uint8)  # datasets would widen integers to int64
    return DatasetDict(cached)


class Uint8BatchCollator:
    """Stacks uint8 pixels (cached or resized on the fly) and float labels; the augmentation happens on the device."""

    def __init__(self, label_columns: list[str]):
        self.label_columns = label_columns

    def __call__(self, examples: list[dict]) -> dict:
        batch = {"pixels": torch.from_numpy(np.stack([e["pixels"] for e in examples]))}  # (B, 3, S, S) uint8
        if all(c in examples[0] for c in self.label_columns):  # a split without labels has none to stack
            labels = np.array([[e[c] for c in self.label_columns] for e in examples], dtype=np.float32)  # (B, L)
            batch["labels"] = torch.from_numpy(labels)
        if "region_boxes" in examples[0]:  # --map_prior_weight: each face's regions (training/map_prior.py)
            batch["region_boxes"] = torch.from_numpy(np.stack([e["region_boxes"] for e in examples]))  # (B, P, 4)
        return batch


def set_uint8_transforms(dataset: DatasetDict, image_size: int, label_columns: list[str]) -> None:
    """The cache's rows computed as images are loaded instead (`margin_crop` without `--preprocessing_cache`):
    `pixels` (3, S, S) uint8 from the same resize, so the two pipelines give the same batches."""
    for split, ds in dataset.items():
        side = stored_size(image_size, split)

        def rows(batch: dict, side=side) -> dict:
            labels = {c: batch[c] for c in label_columns if c in batch}
            return {"pixels": [resize_to_uint8(image, side) for image in batch["image"]], **labels}

        ds.set_transform(rows)
