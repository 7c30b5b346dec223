# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Where things are: faces in a photo (MTCNN detection, five landmarks, alignment to CelebA's 178×218 crop), and a
map on the model's token grid placed back over the pixels of the crop and of the photo.

Like the model files, this file travels inside every saved model folder (the `face-attributes` pipeline imports it
there), so it imports only numpy, PIL and torch (facenet-pytorch when detecting).
"""

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

CELEBA_SIZE = (178, 218)  # (width, height) of CelebA's aligned crops


# CelebA's alignment maps the eyes and the middle of the mouth to these points, given in MATLAB's 1-based pixel
# coordinates (so 1 is subtracted); used as the centres of pixels, hence + 0.5 in continuous coordinates.
CELEBA_TEMPLATE = np.array([[70.745, 112.0], [108.237, 112.0], [89.432, 153.514]]) - 1


ALIGNED_ASPECT_TOLERANCE = 0.01


@dataclass
class Face:
    """One face of a photo: where it is (upright photo pixels), how sure the detector is, its aligned crop."""

    index: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float | None  # None for an image taken as an aligned crop (no detection)
    landmarks: np.ndarray | None  # (5, 2)
    aligned: Image.Image
    probabilities: dict[str, float] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    attention_maps: dict[str, np.ndarray] = field(default_factory=dict)  # attribute → (photo height, photo width)


def anchor_points(landmarks: np.ndarray) -> np.ndarray:
    """(left eye, right eye, middle of the mouth corners) from MTCNN's five landmarks: (3, 2)."""
    return np.stack([landmarks[0], landmarks[1], (landmarks[3] + landmarks[4]) / 2])


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The scale · rotation + translation (2×3) that maps `source` points onto `target` best (least squares)."""
    # Umeyama's closed form, without reflection: x' = s R x + t.
    source_mean, target_mean = source.mean(0), target.mean(0)
    src, dst = source - source_mean, target - target_mean
    u, singular, vt = np.linalg.svd(dst.T @ src / len(source))
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(singular) @ sign) / src.var(0).sum()
    translation = target_mean - scale * rotation @ source_mean
    return np.hstack([scale * rotation, translation[:, None]])


def photo_to_crop(landmarks: np.ndarray) -> np.ndarray:
    """The similarity (2×3) from a photo's pixels to its face's aligned crop, in continuous coordinates (pixel i
    spans [i, i+1)) on both sides, as PIL's transform samples pixel centres."""
    return similarity_transform(anchor_points(landmarks) + 0.5, CELEBA_TEMPLATE + 0.5)


def align_face(image: Image.Image, landmarks: np.ndarray) -> Image.Image:
    """The 178×218 crop of `image` in which the eyes and mouth sit where CelebA puts them."""
    matrix = np.vstack([photo_to_crop(landmarks), [0, 0, 1]])
    inverse = np.linalg.inv(matrix)[:2].ravel()  # output pixel → input pixel, PIL's convention
    return image.transform(CELEBA_SIZE, Image.Transform.AFFINE, tuple(inverse), resample=Image.Resampling.BILINEAR)


def looks_aligned(image: Image.Image) -> bool:
    """CelebA's crop size or its aspect ratio at up to twice the size: already an aligned face."""
    width, height = image.size
    target = CELEBA_SIZE[0] / CELEBA_SIZE[1]
    return abs(width / height - target) <= ALIGNED_ASPECT_TOLERANCE and width <= 2 * CELEBA_SIZE[0]


class FaceDetector:
    """MTCNN on the CPU (or `device`), keeping every face whose score reaches `min_score`."""

    def __init__(self, device: str = "cpu", min_score: float = 0.9, min_face_size: int = 20):
        try:
            from facenet_pytorch import MTCNN
        except ImportError as error:
            raise ImportError(
                'Face detection needs facenet-pytorch: pip install -e ".[faces]" (or pip install '
                "facenet-pytorch==2.5.3), or pass --faces aligned for images that already are aligned face crops."
            ) from error
        self.mtcnn = MTCNN(keep_all=True, device=device, min_face_size=min_face_size)
        self.min_score = min_score

    def __call__(self, image: Image.Image) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """[(box (4,), score, landmarks (5, 2))] sorted left to right; [] when there is no face."""
        boxes, scores, landmarks = self.mtcnn.detect(image, landmarks=True)
        if boxes is None:
            return []
        # facenet-pytorch returns object arrays: make them plain floats.
        boxes = np.asarray(boxes.tolist(), dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(scores.tolist(), dtype=np.float64).reshape(-1)
        landmarks = np.asarray(landmarks.tolist(), dtype=np.float64).reshape(-1, 5, 2)
        found = [(b, float(s), p) for b, s, p in zip(boxes, scores, landmarks) if s >= self.min_score]
        return sorted(found, key=lambda face: face[0][0])


def find_faces(image: Image.Image, mode: str, detector: FaceDetector | None) -> list[Face]:
    """The faces of an upright RGB image. `mode`: "detect", "aligned" (the image is one aligned crop) or "auto"
    (aligned when `looks_aligned`, else detect)."""
    if mode == "aligned" or (mode == "auto" and looks_aligned(image)):
        width, height = image.size
        return [Face(0, (0.0, 0.0, float(width), float(height)), None, None, image)]
    detected = detector(image)
    return [
        Face(i, tuple(float(v) for v in box), score, points, align_face(image, points))
        for i, (box, score, points) in enumerate(detected)
    ]


def token_stride(inputs: int, tokens: int) -> int:
    """Input pixels per token along one axis: a power of two for strided CNNs (ResNet: 4, 8, 16, 32)."""
    return 2 ** round(math.log2(inputs / tokens))


def token_centres(inputs: int, tokens: int, image_pixels: int) -> torch.Tensor:
    """The image pixel (fractional index) each of `tokens` positions along one axis is centred on, for an image of
    `image_pixels` stretched to `inputs`: token k sits over input pixel k·s (see `upsample_to_image`)."""
    stride = token_stride(inputs, tokens)
    return (torch.arange(tokens, dtype=torch.float32) * stride + 0.5) * image_pixels / inputs - 0.5


def upsample_to_image(maps: torch.Tensor, input_size: tuple[int, int], image_size: tuple[int, int]) -> torch.Tensor:
    """Token maps (B, M, H, W) → (B, M, height, width) over an image of `image_size` (width, height), bilinearly.

    The model saw the image stretched to `input_size` (height, width). Each token is placed at the centre of its
    receptive field: a stride-2 convolution with "same" padding centres output j on input pixel 2j, so at stride s
    token (i, j) sits over input pixel (i·s, j·s), half a cell up and left of the centre of the i-th of H equal
    bands (where `interpolate(..., align_corners=False)` would put it). Beyond the outer tokens the map is constant.
    """
    height, width = maps.shape[-2:]
    image_width, image_height = image_size

    def token_coordinates(pixels: int, inputs: int, tokens: int) -> torch.Tensor:
        stride = token_stride(inputs, tokens)
        centres = (
            (torch.arange(pixels, dtype=torch.float32) + 0.5) * inputs / pixels
        )  # image pixel → input (continuous)
        position = (centres - 0.5) / stride  # in token units: token k's centre is input pixel k·s, i.e. k·s + 0.5
        return position / max(tokens - 1, 1) * 2 - 1  # grid_sample's [-1, 1] with align_corners=True

    ys = token_coordinates(image_height, input_size[0], height)
    xs = token_coordinates(image_width, input_size[1], width)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (height, width, 2) as (x, y)
    batch, count = maps.shape[:2]
    flat = maps.float().reshape(batch * count, 1, height, width)  # (B*M, 1, H, W)
    grid = grid.unsqueeze(0).expand(batch * count, -1, -1, -1).to(flat.device)
    heat = torch.nn.functional.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return heat.reshape(batch, count, image_height, image_width)  # (B, M, height, width)


def maps_over_photo(
    maps: torch.Tensor, input_size: tuple[int, int], face: Face, photo_size: tuple[int, int]
) -> np.ndarray:
    """One face's maps on the token grid (M, H, W) → (M, photo height, photo width) over the photo (`photo_size`:
    width, height): placed over the face's aligned crop as `upsample_to_image` places them, then carried back to
    where that crop came from in the photo; 0 outside the crop. An image taken as an aligned crop is the photo."""
    on_crop = upsample_to_image(maps[None].float().cpu(), input_size, face.aligned.size)[0].numpy()  # (M, h, w)
    if face.landmarks is None:
        return on_crop
    crop_of_photo = tuple(photo_to_crop(face.landmarks).ravel())  # output (photo) pixel → input (crop) pixel
    return np.stack(
        [
            np.asarray(
                Image.fromarray(heat.astype(np.float32), mode="F").transform(
                    photo_size, Image.Transform.AFFINE, crop_of_photo, resample=Image.Resampling.BILINEAR
                )
            )
            for heat in on_crop
        ]
    )  # (M, photo height, photo width)


def face_maps(
    grid: torch.Tensor, input_size, face: Face, photo_size, label_names: list[str], per_label: bool
) -> dict[str, np.ndarray]:
    """One face's head-averaged attention on its grid (Q, H, W) → {attribute: its map over the photo}; a model with one
    map for all labels (`per_label` False) gives {"attention": the mean over its queries, what its pooling used}."""
    if per_label:
        return dict(zip(label_names, maps_over_photo(grid, input_size, face, photo_size)))
    return {"attention": maps_over_photo(grid.mean(dim=0, keepdim=True), input_size, face, photo_size)[0]}
