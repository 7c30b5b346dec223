# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Images: any mode to RGB, finding unreadable files before training, the eval transform and the matching processor
(the training augmentations: training/augmentation.py)."""

import io
import logging
import os

import numpy as np
import torch
from datasets import DatasetDict
from datasets import Image as ImageFeature
from PIL import Image, ImageOps
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F
from transformers import ViTImageProcessor

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


EXIF_ORIENTATION = 0x0112


def to_rgb(image: Image.Image) -> Image.Image:
    """Upright (from the EXIF orientation phones write) 8-bit RGB, from any mode: grayscale, palette, RGBA, CMYK,
    16-bit."""
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # PIL's own convert clips 16-bit values at 255 instead of rescaling them.
        pixels = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        image = Image.fromarray((pixels / peak * 255.0).round().clip(0, 255).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    return image.convert("RGB")


# What PIL raises for a file that is not an image, is cut short or damaged, or is a decompression bomb.
UNREADABLE_IMAGE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def open_rgb(path: str) -> Image.Image:
    """The image file decoded now (the file is closed after) as upright 8-bit RGB; raises UNREADABLE_IMAGE_ERRORS."""
    with Image.open(path) as image:
        image.load()
        return to_rgb(image)


def _open(encoded: dict) -> Image.Image:
    if encoded.get("bytes") is not None:
        return Image.open(io.BytesIO(encoded["bytes"]))
    return Image.open(encoded["path"])


def _check_batch(images: list[dict]) -> dict:
    names, errors = [], []
    for encoded in images:
        names.append(os.path.basename(encoded.get("path") or "") or "<bytes>")
        try:
            with _open(encoded) as image:
                if image.format == "JPEG":  # decode at 1/8 scale: every byte is still read and checked
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
                to_rgb(image)
            errors.append("")
        except UNREADABLE_IMAGE_ERRORS as error:
            errors.append(f"{type(error).__name__}: {error}")
    return {"name": names, "error": errors}


def drop_unreadable_images(
    dataset: DatasetDict, image_column: str = "image", strict: bool = False, num_proc: int | None = None
) -> DatasetDict:
    """One pass over every image before training: unreadable ones are dropped (logged) or, if `strict`, fatal.

    Corrupt, truncated and zero-byte files are found here, so that no epoch can crash on them. The pass is
    cached by datasets' fingerprint, so a second run on the same data costs nothing.
    """
    cleaned = {}
    for split, ds in dataset.items():
        raw = ds.cast_column(image_column, ImageFeature(decode=False))
        checked = raw.map(
            _check_batch,
            input_columns=[image_column],
            batched=True,
            batch_size=256,
            remove_columns=raw.column_names,
            num_proc=num_proc if num_proc and len(raw) > 2000 else None,
            desc=f"Checking {split} images",
        )
        errors = np.asarray(checked["error"], dtype=object)
        bad = np.flatnonzero(errors != "")
        if len(bad) == 0:
            cleaned[split] = ds
            continue
        report = [f"{checked[int(i)]['name']} ({errors[i]})" for i in bad[:20]]
        more = f" and {len(bad) - 20} more" if len(bad) > 20 else ""
        if strict:
            raise ValueError(
                f"{len(bad)} unreadable image(s) in the {split} split: {'; '.join(report)}{more}. Remove or "
                "replace them, or drop the strictness flag to skip them."
            )
        logger.warning("Dropping %d unreadable image(s) from %s: %s%s", len(bad), split, "; ".join(report), more)
        keep = np.setdiff1d(np.arange(len(ds)), bad)
        cleaned[split] = ds.select(keep)
    return DatasetDict(cleaned)


def normalize_transforms(mean=IMAGENET_MEAN, std=IMAGENET_STD) -> list:
    """uint8 image tensor → float in [0, 1] → normalised: the last two steps of every per-image transform."""
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=list(mean), std=list(std))]


def eval_transform(image_size: int = 224, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> v2.Compose:
    """A PIL image → a normalised float tensor (3, image_size, image_size), as the saved image processor does."""
    return v2.Compose(
        [v2.ToImage(), v2.Resize((image_size, image_size), antialias=True), *normalize_transforms(mean, std)]
    )


def resize_to_uint8(image: Image.Image, side: int) -> np.ndarray:
    """Any image → upright RGB uint8 (3, side, side), with the eval transform's antialiased bilinear resize."""
    tensor = F.pil_to_tensor(to_rgb(image))  # (3, H, W) uint8
    return F.resize(tensor, [side, side], antialias=True).numpy()


def image_processor_for(config) -> ViTImageProcessor:
    """A model's image processor, from its config: the one place a model's image size is read. The processor saved
    beside the weights is written from it, for `AutoImageProcessor` users; this project never reads it back."""
    return build_image_processor(config.image_size)


def build_image_processor(image_size: int = 224, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> ViTImageProcessor:
    """A transformers image processor that reproduces the eval transform (saved beside the model)."""
    return ViTImageProcessor(
        do_resize=True,
        size={"height": image_size, "width": image_size},
        resample=Image.Resampling.BILINEAR,
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=list(mean),
        image_std=list(std),
        do_convert_rgb=True,
    )


def make_batch_transform(transform, label_columns: list[str], image_column: str = "image"):
    """A `Dataset.set_transform` function: decoded images → pixel_values, 0/1 columns → float labels."""

    def apply(batch: dict) -> dict:
        out = {"pixel_values": [transform(to_rgb(image)) for image in batch[image_column]]}
        if all(column in batch for column in label_columns):
            labels = np.stack([np.asarray(batch[c], dtype=np.float32) for c in label_columns], axis=1)
            out["labels"] = list(torch.from_numpy(labels))
        return out

    return apply


def collate(examples: list[dict]) -> dict:
    batch = {"pixel_values": torch.stack([e["pixel_values"] for e in examples])}
    if "labels" in examples[0]:
        batch["labels"] = torch.stack([e["labels"] for e in examples])
    return batch
