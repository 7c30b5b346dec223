# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
import os

# No test may touch the network: set before huggingface_hub / datasets read their constants.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


# transformers' own common tests, run out of tree by tests/upstream/run.sh (they need upstream's test files).
collect_ignore = ["upstream"]


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU (scripts/gpu_check.sh runs these on a lent one)")
