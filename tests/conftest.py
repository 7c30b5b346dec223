# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
import logging
import os

# No test may touch the network: set before huggingface_hub / datasets read their constants.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


# transformers' own common tests, run out of tree by tests/upstream/run.sh (they need upstream's test files).
collect_ignore = ["upstream"]


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU (scripts/gpu_check.sh runs these on a lent one)")


@pytest.fixture(autouse=True)
def package_log_levels():
    """run_classification.main() sets the package's log level to transformers' verbosity (here "error"); restored
    after each test, so that a later test's caplog still sees the package's warnings whatever ran before it."""
    loggers = [logging.getLogger(name) for name in ("face_attributes", "run_classification", "__main__")]
    levels = [log.level for log in loggers]
    yield
    for log, level in zip(loggers, levels):
        log.setLevel(level)


@pytest.fixture
def bf16_on_this_cpu(monkeypatch):
    """Lets the bf16 paths run on a CPU without native bf16 (neither avx512_bf16 nor amx_bf16), where the package
    refuses them: emulated bf16 is far too slow for real models (docs/benchmarks.md measures it) but computes in
    bf16 all the same, and the tests' models are tiny, so those paths are tested on every machine. The
    refusal itself has its own tests."""
    from face_attributes import engine

    if engine.cpu_bf16_instructions() is None:
        monkeypatch.setattr(engine, "cpu_bf16_instructions", lambda: "emulated (test)")
