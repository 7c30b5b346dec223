# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Data: sources, labels and splits, images, the synthetic faces and the example photos."""
