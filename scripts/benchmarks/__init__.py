# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The benchmarks scripts/benchmark.py runs and prints, one module per area."""
