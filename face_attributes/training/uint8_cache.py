# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The uint8 preprocessing cache: every image decoded and resized once, augmented in batches on the device."""

import numpy as np
import torch
from datasets import Array3D, DatasetDict, Features
from torchvision.transforms.v2 import functional as F

from ..data.images import IMAGENET_MEAN, IMAGENET_STD, to_rgb

TRAIN_MARGIN = 8 / 7  # 224 → 256 stored, the classic "resize 256, crop 224"


def stored_size(image_size: int, split: str) -> int:
    return round(image_size * TRAIN_MARGIN) if split == "train" else image_size


def _resize_batch(images: list, side: int) -> dict:
    pixels = np.empty((len(images), 3, side, side), dtype=np.uint8)
    for i, image in enumerate(images):
        tensor = F.pil_to_tensor(to_rgb(image))  # (3, H, W) uint8
        # The same antialiased bilinear resize as the eval transform and the saved image processor.
        pixels[i] = F.resize(tensor, [side, side], antialias=True).numpy()
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


class CachedBatchCollator:
    """Stacks uint8 pixels and float labels; the heavy work happens later, on the device."""

    def __init__(self, label_columns: list[str]):
        self.label_columns = label_columns

    def __call__(self, examples: list[dict]) -> dict:
        pixels = torch.from_numpy(np.stack([e["pixels"] for e in examples]))  # (B, 3, S, S) uint8
        labels = np.array([[e[c] for c in self.label_columns] for e in examples], dtype=np.float32)  # (B, L)
        return {"pixels": pixels, "labels": torch.from_numpy(labels)}


class DeviceAugment(torch.nn.Module):
    """Batched augmentation of uint8 (B, 3, S, S) on whatever device they are: crop, flip, jitter, normalise."""

    def __init__(self, image_size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD, jitter: float = 0.2):
        super().__init__()
        self.image_size, self.jitter = image_size, jitter
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, pixels: torch.Tensor, train: bool) -> torch.Tensor:
        batch, _, side, _ = pixels.shape
        size = self.image_size
        if train and side > size:
            # One random crop per image: gather rows and columns with per-sample offsets.
            top = torch.randint(0, side - size + 1, (batch, 1), device=pixels.device)
            left = torch.randint(0, side - size + 1, (batch, 1), device=pixels.device)
            rows = (top + torch.arange(size, device=pixels.device)).view(batch, 1, size, 1).expand(-1, 3, -1, side)
            pixels = pixels.gather(2, rows)  # (B, 3, size, S)
            cols = (left + torch.arange(size, device=pixels.device)).view(batch, 1, 1, size).expand(-1, 3, size, -1)
            pixels = pixels.gather(3, cols)  # (B, 3, size, size)
        elif side != size:
            pixels = F.resize(pixels, [size, size], antialias=True)
        images = pixels.float().div_(255)
        if train:
            flip = torch.rand(batch, 1, 1, 1, device=images.device) < 0.5
            images = torch.where(flip, images.flip(-1), images)
            brightness = 1 + (torch.rand(batch, 1, 1, 1, device=images.device) * 2 - 1) * self.jitter
            contrast = 1 + (torch.rand(batch, 1, 1, 1, device=images.device) * 2 - 1) * self.jitter
            mean_level = images.mean(dim=(1, 2, 3), keepdim=True)
            images = ((images * brightness - mean_level) * contrast + mean_level).clamp_(0, 1)
        return (images - self.mean) / self.std
