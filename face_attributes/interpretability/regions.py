# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Each attribute's region of a face: boxes, masks, and the face parts derived from five landmarks."""

from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in image pixels, x1/y1 excluded


def region_boxes(region: Box | list[Box]) -> list[Box]:
    """An attribute's region as a list of boxes (the ears are two)."""
    return [region] if isinstance(region[0], (int, float, np.integer, np.floating)) else list(region)


def region_mask(region: Box | list[Box], width: int, height: int) -> torch.Tensor:
    """(height, width) bool mask of the region's boxes, clipped to the image."""
    mask = torch.zeros(height, width, dtype=torch.bool)
    for x0, y0, x1, y1 in region_boxes(region):
        mask[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return mask


def points_at(region: Box | list[Box], x: int, y: int, tolerance: int) -> bool:
    """Whether pixel (x, y) lies in one of the region's boxes or within `tolerance` pixels of it."""
    return any(
        x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance
        for x0, y0, x1, y1 in region_boxes(region)
    )


# Attribute → the part of the face its evidence is in (as in Zhang, Bieri & Günther 2024, from CelebA's landmarks).
# Attributes of the whole face or image (Male, Young, Attractive, Blurry, Pale_Skin, ...) have no region.
FACE_PART_OF = {
    **dict.fromkeys(["Eyeglasses", "Bags_Under_Eyes", "Narrow_Eyes", "Arched_Eyebrows", "Bushy_Eyebrows"], "eyes"),
    **dict.fromkeys(["Smiling", "Mouth_Slightly_Open", "Wearing_Lipstick", "Big_Lips"], "mouth"),
    "Mustache": "upper_lip",
    **dict.fromkeys(["Goatee", "No_Beard", "Double_Chin", "5_o_Clock_Shadow", "Sideburns"], "chin_and_jaw"),
    **dict.fromkeys(["Big_Nose", "Pointy_Nose"], "nose"),
    **dict.fromkeys(
        ["Bald", "Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Receding_Hairline", "Wearing_Hat"],
        "above_the_eyes",
    ),
    "Wearing_Earrings": "ears",
    **dict.fromkeys(["Wearing_Necklace", "Wearing_Necktie"], "below_the_chin"),
}
LOCAL_PARTS = ("eyes", "mouth", "upper_lip", "nose")  # the most local regions


def face_part_boxes(landmarks: np.ndarray, width: int, height: int) -> dict[str, list[Box]]:
    """Each face part's boxes from five landmarks (left eye, right eye, nose, left and right mouth corner; MTCNN's
    order), sized by the eye distance d, clipped to the image."""
    left_eye, right_eye, nose, left_mouth, right_mouth = np.asarray(landmarks, dtype=np.float64)
    d = float(np.linalg.norm(right_eye - left_eye))
    eye_y, mouth_y = (left_eye[1] + right_eye[1]) / 2, (left_mouth[1] + right_mouth[1]) / 2
    left, right = min(left_eye[0], right_eye[0]), max(left_eye[0], right_eye[0])
    mouth_left, mouth_right = min(left_mouth[0], right_mouth[0]), max(left_mouth[0], right_mouth[0])
    chin_y = mouth_y + 0.8 * d
    parts = {
        "eyes": [(left - 0.55 * d, eye_y - 0.6 * d, right + 0.55 * d, eye_y + 0.35 * d)],  # eyes and brows
        "mouth": [(mouth_left - 0.2 * d, mouth_y - 0.3 * d, mouth_right + 0.2 * d, mouth_y + 0.35 * d)],
        "upper_lip": [(mouth_left - 0.15 * d, nose[1] + 0.1 * d, mouth_right + 0.15 * d, mouth_y)],
        "nose": [(nose[0] - 0.4 * d, eye_y + 0.1 * d, nose[0] + 0.4 * d, nose[1] + 0.3 * d)],
        "chin_and_jaw": [(left - 0.7 * d, mouth_y - 0.2 * d, right + 0.7 * d, chin_y)],
        "above_the_eyes": [(left - 1.0 * d, 0, right + 1.0 * d, eye_y - 0.6 * d)],
        "ears": [
            (left - 1.4 * d, eye_y - 0.2 * d, left - 0.7 * d, mouth_y + 0.2 * d),
            (right + 0.7 * d, eye_y - 0.2 * d, right + 1.4 * d, mouth_y + 0.2 * d),
        ],
        "below_the_chin": [(left - 1.0 * d, chin_y, right + 1.0 * d, height)],
    }
    clipped = {}
    for part, boxes in parts.items():
        kept = []
        for x0, y0, x1, y1 in boxes:
            box = (max(0, round(x0)), max(0, round(y0)), min(width, round(x1)), min(height, round(y1)))
            if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:  # at least a little of it inside the image
                kept.append(box)
        if kept:
            clipped[part] = kept
    return clipped


def normalized_part_boxes(landmarks: np.ndarray | None, width: int, height: int, parts=LOCAL_PARTS) -> np.ndarray:
    """(P, 4) float32: each of `parts`' box from `face_part_boxes` as fractions of the image (x0/W, y0/H, x1/W, y1/H),
    the first box of a part with several; NaN where there are no landmarks or the part lies outside the image. What
    a training batch carries, so that any resize and crop can move the boxes with the pixels."""
    boxes = np.full((len(parts), 4), np.nan, dtype=np.float32)
    if landmarks is None:
        return boxes
    found = face_part_boxes(landmarks, width, height)
    scale = np.array([width, height, width, height], dtype=np.float32)
    for index, part in enumerate(parts):
        if part in found:
            boxes[index] = np.asarray(found[part][0], dtype=np.float32) / scale
    return boxes


@dataclass
class RegionFace:
    """A face to score: the image, each attribute's region (one box or a list of boxes) and, for the probe, its
    labels (attribute → 0/1)."""

    image: Image.Image
    boxes: dict[str, Box | list[Box]]
    labels: dict[str, int] = field(default_factory=dict)


def landmark_regions(
    image: Image.Image, landmarks: np.ndarray, attributes: list[str], labels: dict[str, int] | None = None
) -> RegionFace:
    """The face with a region for each of `attributes` that has a face part (FACE_PART_OF) inside the image."""
    parts = face_part_boxes(landmarks, *image.size)
    boxes = {a: parts[FACE_PART_OF[a]] for a in attributes if FACE_PART_OF.get(a) in parts}
    return RegionFace(image, boxes, labels or {})
