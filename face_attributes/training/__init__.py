# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training beside the Trainer: metrics, model options, checkpoints and exact resume, the uint8 cache, the card."""
