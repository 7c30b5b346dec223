# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Faces in a photo: detection (MTCNN), five landmarks, and alignment to CelebA's 178×218 crop."""

from dataclasses import dataclass, field

import numpy as np
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


def align_face(image: Image.Image, landmarks: np.ndarray) -> Image.Image:
    """The 178×218 crop of `image` in which the eyes and mouth sit where CelebA puts them."""
    # Continuous coordinates (pixel i spans [i, i+1)) on both sides, as PIL's transform samples pixel centres.
    forward = similarity_transform(anchor_points(landmarks) + 0.5, CELEBA_TEMPLATE + 0.5)
    matrix = np.vstack([forward, [0, 0, 1]])
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
