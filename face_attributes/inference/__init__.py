# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Inference on photos: faces and alignment, the per-face pipeline, thresholds, CSV, drawing, ONNX."""
