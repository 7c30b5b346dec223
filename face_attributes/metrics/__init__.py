# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The `evaluate` metric shipped with the package, loaded by path."""

import os

ATTRIBUTE_METRICS_PATH = os.path.join(os.path.dirname(__file__), "attribute_metrics.py")
