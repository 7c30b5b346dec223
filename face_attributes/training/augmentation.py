# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The two training augmentations, each defined once here and named by `--augmentation`.

`resized_crop` runs per image as it is decoded (torchvision, in the data-loading workers); `margin_crop` runs per
batch on the device, on uint8 images resized once to a margin larger than the model's input, whether that resize
happens on the fly or in the `--preprocessing_cache` (the same code: the cache only stores its result).
"""

import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from ..data.images import IMAGENET_MEAN, IMAGENET_STD, normalize_transforms

AUGMENTATIONS = {
    "resized_crop": "per image: RandomResizedCrop (scale 0.8–1, ratio 0.75–1), horizontal flip, colour jitter "
    "(brightness, contrast and saturation 0.2, hue 0.02)",
    "margin_crop": "per batch, on the device: a random crop from the image resized 8/7 larger, horizontal flip, "
    "brightness and contrast 0.2",
}
# Without --augmentation each input pipeline keeps the augmentation it had before the flag existed, so earlier
# commands train as they did: per-image decoding → resized_crop, the uint8 cache → margin_crop.
DEFAULT_AUGMENTATION = {False: "resized_crop", True: "margin_crop"}

TRAIN_MARGIN = 8 / 7  # 224 → 256 stored, the classic "resize 256, crop 224"


def resolve_augmentation(name: str | None, preprocessing_cache: bool) -> str:
    """The augmentation a run trains with: `name`, or the input pipeline's own; a clear error where they clash."""
    if name is None:
        return DEFAULT_AUGMENTATION[preprocessing_cache]
    if name not in AUGMENTATIONS:
        raise ValueError(f"--augmentation {name} is unknown: choose one of {sorted(AUGMENTATIONS)}.")
    if name == "resized_crop" and preprocessing_cache:
        raise ValueError(
            "--augmentation resized_crop crops and colours each decoded image, which the uint8 cache does not keep: "
            "drop --preprocessing_cache, or pass --augmentation margin_crop (the cache's augmentation)."
        )
    return name


def resized_crop_transform(image_size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> v2.Compose:
    """`resized_crop`: a PIL image → an augmented, normalised float tensor (3, image_size, image_size)."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.RandomResizedCrop((image_size, image_size), scale=(0.8, 1.0), ratio=(0.75, 1.0), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.02),
            *normalize_transforms(mean, std),
        ]
    )


def stored_size(image_size: int, split: str) -> int:
    """The side `margin_crop` needs its uint8 images at: with the crop margin for training, the input size else."""
    return round(image_size * TRAIN_MARGIN) if split == "train" else image_size


class MarginCropAugment(torch.nn.Module):
    """`margin_crop`: uint8 (B, 3, S, S) on whatever device they are → normalised float (B, 3, size, size); training
    crops, flips and jitters each image, evaluation only resizes (if S differs) and normalises."""

    def __init__(self, image_size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD, jitter: float = 0.2):
        super().__init__()
        self.image_size, self.jitter = image_size, jitter
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, pixels: torch.Tensor, train: bool, boxes: torch.Tensor | None = None):
        """The augmented images; with `boxes` (B, P, 4) as fractions of each image (x0, y0, x1, y1), also the boxes
        moved with each image's crop and flip, in input pixels (images, boxes)."""
        batch, _, side, _ = pixels.shape
        size = self.image_size
        top = left = torch.zeros(batch, 1, device=pixels.device, dtype=torch.long)
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
            if boxes is not None:
                boxes = self._move_boxes(boxes, side if side > size else size, top, left, flip.view(batch, 1))
            brightness = 1 + (torch.rand(batch, 1, 1, 1, device=images.device) * 2 - 1) * self.jitter
            contrast = 1 + (torch.rand(batch, 1, 1, 1, device=images.device) * 2 - 1) * self.jitter
            mean_level = images.mean(dim=(1, 2, 3), keepdim=True)
            images = ((images * brightness - mean_level) * contrast + mean_level).clamp_(0, 1)
        images = (images - self.mean) / self.std
        if boxes is None:
            return images
        if not train:
            boxes = self._move_boxes(
                boxes, size, top, left, torch.zeros(batch, 1, dtype=torch.bool, device=images.device)
            )
        return images, boxes

    def _move_boxes(self, boxes, side: int, top, left, flip) -> torch.Tensor:
        """Fractions of the image (B, P, 4) → input pixels after a crop at (top, left) of the image stretched to
        side × side, and a horizontal flip where `flip` (B, 1); clipped to the input (NaN stays NaN)."""
        size = self.image_size
        boxes = boxes.to(self.mean.device).float() * side  # (B, P, 4): x0, y0, x1, y1 in the stretched image
        x0, y0, x1, y1 = boxes.unbind(-1)  # each (B, P)
        x0, x1, y0, y1 = x0 - left, x1 - left, y0 - top, y1 - top
        x0, x1 = torch.where(flip, size - x1, x0), torch.where(flip, size - x0, x1)
        return torch.stack([x0, y0, x1, y1], dim=-1).clamp(0, size)  # (B, P, 4)
