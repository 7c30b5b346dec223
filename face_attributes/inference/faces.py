# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Faces in a photo: detection (MTCNN), five landmarks, and alignment to CelebA's 178×218 crop. The code lives in
face_attributes/face_geometry.py, which travels inside saved model folders for the `face-attributes` pipeline."""

from ..face_geometry import (  # noqa: F401
    ALIGNED_ASPECT_TOLERANCE,
    CELEBA_SIZE,
    CELEBA_TEMPLATE,
    Face,
    FaceDetector,
    align_face,
    anchor_points,
    find_faces,
    looks_aligned,
    similarity_transform,
)
