# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""One training step's peak memory and time, without and with activation checkpointing."""

import os
import time

import torch

from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification

from .models import NUM_LABELS


def _step_peak_memory(checkpointing: bool, batch: int, size: int, queue) -> None:
    """In a fresh process: bytes one training step of the default model adds at its peak (RSS on CPU)."""
    import resource

    import psutil

    torch.set_num_threads(os.cpu_count() or 1)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    config = ResNetLstmAttentionConfig(num_labels=NUM_LABELS, problem_type="multi_label_classification")
    model = ResNetLstmAttentionForImageClassification(config).to(device).train()
    if checkpointing:
        model.activation_checkpointing_enable()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    pixels = torch.randn(batch, 3, size, size, device=device)
    labels = torch.randint(0, 2, (batch, NUM_LABELS), device=device).float()
    # A warm-up step on two images: thread pools, kernels and optimizer state are then in place, below the peak.
    model(pixel_values=pixels[:2], labels=labels[:2]).loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    else:
        before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    model(pixel_values=pixels, labels=labels).loss.backward()
    optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    queue.put((peak - before, time.perf_counter() - start))


def checkpointing_memory_benchmark(args) -> list[tuple]:
    """Peak memory and time of one training step, default model, without and with activation checkpointing.

    Each measurement runs in a fresh process, so that one's allocations cannot hide the other's peak.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    batch, size = (4, 64) if args.tiny else (args.memory_batch_size, args.memory_size)
    rows = []
    for checkpointing in (False, True):
        queue = context.Queue()
        process = context.Process(target=_step_peak_memory, args=(checkpointing, batch, size, queue))
        process.start()
        added, seconds = queue.get()
        process.join()
        rows.append((batch, size, checkpointing, added, seconds))
    return rows
