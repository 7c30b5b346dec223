# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""`--map_prior_weight`: a loss that pulls each local attribute's attention map toward its face region.

The regions are the evaluation's own (interpretability/regions.py: eyes and brows, mouth, upper lip, nose, from five
landmarks), carried with every training image as boxes (data/landmarks.py) and moved with its crop and flip. Each
local attribute's head-averaged map is compared with its region spread over the attention grid, by KL(region ‖ map)
(as Belharbi et al. and PAL pull attention toward landmark heat maps); the other attributes are left free.
"""

import io
import logging

import numpy as np
import torch

from ..data.landmarks import split_landmarks
from ..face_geometry import token_stride
from ..interpretability.regions import FACE_PART_OF, LOCAL_PARTS, normalized_part_boxes

logger = logging.getLogger(__name__)


def region_box_column(landmarks: list, sizes: list[tuple[int, int]]) -> np.ndarray:
    """(rows, P, 4) float32: every row's LOCAL_PARTS boxes as fractions of its image (NaN without landmarks)."""
    return np.stack([normalized_part_boxes(points, *size) for points, size in zip(landmarks, sizes)])


def image_sizes(split) -> list[tuple[int, int]]:
    """Each row's image (width, height), from the file's header alone."""
    from datasets import Image as ImageFeature
    from PIL import Image

    sizes = []
    for item in split.cast_column("image", ImageFeature(decode=False))["image"]:
        source = item["path"] if item.get("bytes") is None else io.BytesIO(item["bytes"])
        with Image.open(source) as image:
            sizes.append(image.size)
    return sizes


def training_regions(train_split, data_dir: str | None) -> np.ndarray:
    """(rows, P, 4): the train split's region boxes, from its landmarks (data/landmarks.py), logged."""
    landmarks = split_landmarks(train_split, data_dir)
    found = sum(points is not None for points in landmarks)
    logger.info(
        "Map prior: landmarks for %d of %d training faces (the others train without the prior).", found, len(landmarks)
    )
    return region_box_column(landmarks, image_sizes(train_split))


class RegionBoxes(torch.utils.data.Dataset):
    """A training set whose samples also carry their `region_boxes` (P, 4), kept beside the dataset rather than in it,
    so no dataset format (the uint8 cache's) touches the floats."""

    def __init__(self, dataset, boxes: np.ndarray):
        if len(dataset) != len(boxes):
            raise ValueError(f"{len(boxes)} rows of region boxes for {len(dataset)} samples.")
        self.dataset, self.boxes = dataset, boxes

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        return {**self.dataset[index], "region_boxes": self.boxes[index]}


def cell_overlaps(low: torch.Tensor, high: torch.Tensor, cells: int, image_size: int) -> torch.Tensor:
    """(B, P, cells): how many pixels of each box's span [low, high) fall in each grid cell along one axis. Cell k is
    centred on input pixel k·s as the model's tokens are (face_geometry.upsample_to_image), s pixels wide."""
    stride = token_stride(image_size, cells)
    centres = torch.arange(cells, device=low.device, dtype=torch.float32) * stride + 0.5  # (cells,)
    start, end = centres - stride / 2, centres + stride / 2
    return (torch.minimum(high[..., None], end) - torch.maximum(low[..., None], start)).clamp(min=0)


class MapPrior:
    """KL(region ‖ map) over the local attributes among `label_names`, weighted by `weight` in the training loss."""

    def __init__(self, label_names: list[str], weight: float):
        local = [name for name in label_names if FACE_PART_OF.get(name) in LOCAL_PARTS]
        if not local:
            raise ValueError(
                f"--map_prior_weight needs labels with a local face region ({', '.join(LOCAL_PARTS)}): none of "
                f"{label_names} has one (interpretability.FACE_PART_OF)."
            )
        self.weight = weight
        self.attributes = local
        self.label_index = torch.tensor([label_names.index(name) for name in local])
        self.part_index = torch.tensor([LOCAL_PARTS.index(FACE_PART_OF[name]) for name in local])

    def region_maps(self, boxes: torch.Tensor, grid: tuple[int, int], image_size: int) -> torch.Tensor:
        """Boxes (B, P, 4) in input pixels → each part as a distribution over the grid (B, P, H, W); all zero where
        the box is missing (NaN) or falls outside the input."""
        boxes = torch.nan_to_num(boxes.float(), nan=0.0)
        rows = cell_overlaps(boxes[..., 1], boxes[..., 3], grid[0], image_size)  # (B, P, H)
        columns = cell_overlaps(boxes[..., 0], boxes[..., 2], grid[1], image_size)  # (B, P, W)
        area = rows[..., :, None] * columns[..., None, :]  # (B, P, H, W)
        return area / area.sum(dim=(-2, -1), keepdim=True).clamp(min=1e-12)

    def loss(self, maps: torch.Tensor, boxes: torch.Tensor, image_size: int) -> torch.Tensor:
        """Mean KL(region ‖ map) over the batch's faces with landmarks and the local attributes; maps (B, L, H, W)."""
        regions = self.region_maps(boxes, tuple(maps.shape[-2:]), image_size)  # (B, P, H, W)
        targets = regions[:, self.part_index.to(maps.device)]  # (B, A, H, W)
        attention = maps[:, self.label_index.to(maps.device)].float()  # (B, A, H, W)
        valid = targets.sum(dim=(-2, -1)) > 0  # (B, A)
        kl = (targets * (torch.log(targets.clamp(min=1e-12)) - torch.log(attention.clamp(min=1e-6)))).sum(dim=(-2, -1))
        if not valid.any():
            return attention.sum() * 0.0  # keeps the graph for a batch without landmarks
        return kl[valid].mean()


def check_map_prior(model, augmentation: str, label_names: list[str], weight: float) -> MapPrior:
    """The MapPrior of `--map_prior_weight`, or a clear error where the run cannot have one."""
    if not getattr(model, "per_label_attention_maps", False):
        raise ValueError(
            f"--map_prior_weight needs a map per attribute (--pooling attribute_queries), not {model.config.pooling!r}."
        )
    if augmentation != "margin_crop":
        raise ValueError(
            "--map_prior_weight moves each face's regions with its crop, which --augmentation margin_crop does on the "
            f"device; {augmentation} crops in the data workers: pass --augmentation margin_crop."
        )
    return MapPrior(label_names, weight)
