#!/usr/bin/env bash
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
# The wheels scripts/gpu_check.sh needs on a GPU machine whose image has torch, torchvision, accelerate, numpy,
# pandas, pyarrow, matplotlib, scikit-learn, torchmetrics … but not these (nor this project's transformers):
#   bash scripts/gpu_wheels.sh [DIR]     # downloads into DIR (default .whl, which .gitignore leaves out)
# then, on the GPU machine: WHEELS=.whl bash scripts/gpu_check.sh (the device tool: carry .whl).
# Versions: the ones this project's tests ran with (pip show); the GPU image runs Python 3.12 on x86-64.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "${1:-.whl}" \
  transformers==5.25.0 huggingface_hub==2.4.0 kernels==0.19.1 tomlkit==0.14.0 httpx2==2.17.0 httpcore2==2.17.0 \
  truststore==0.10.5 datasets==5.2.0 evaluate==0.4.6 fairlearn==0.15.0 dill==0.4.1 multiprocess==0.70.19
ls "${1:-.whl}"
