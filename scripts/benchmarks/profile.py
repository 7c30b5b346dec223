# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Where one training step's time goes: torch.profiler's self times, grouped by kind of work, per model."""

import torch
from torch.profiler import ProfilerActivity, profile

from face_attributes.engine import Engine

from .models import NUM_LABELS, build_models, model_layout

# Kinds of work, by the first pattern (in order) an operator's name contains; the rest is "other".
KINDS = {
    "convolution (fwd + bwd)": ("convolution", "conv2d", "mkldnn_conv"),
    "batch norm": ("batch_norm",),
    "LSTM (fwd + bwd)": ("lstm", "rnn", "_thnn_fused"),
    "matmul / linear": ("mm", "linear", "addmm", "matmul", "bmm"),
    "attention softmax": ("softmax", "scaled_dot_product"),
    "casts and copies": ("_to_copy", "copy_", "to_dtype", "clone", "contiguous"),
    "optimizer (AdamW)": ("_foreach", "adam", "lerp", "addcdiv", "addcmul"),
}


def kind_of(operator: str) -> str:
    name = operator.lower()
    return next((kind for kind, patterns in KINDS.items() if any(p in name for p in patterns)), "other")


def step_profile(model, optimizer, engine: Engine, pixels, labels, device) -> dict[str, float]:
    """{kind of work: milliseconds of self time in one training step} (after a warm-up step)."""

    def step():
        with engine.autocast(device.type):
            loss = model(pixel_values=pixels, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    model.train()
    step()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as profiler:
        step()
    kinds = dict.fromkeys([*KINDS, "other"], 0.0)
    for event in profiler.key_averages():
        self_us = event.self_device_time_total if device.type == "cuda" else event.self_cpu_time_total
        kinds[kind_of(event.key)] += self_us / 1000
    return kinds


def profile_benchmark(args, device) -> tuple[str, list[str], dict[str, dict[str, float]]]:
    """(the engine's name, the models, {kind: {model: ms}}) for one training step of each model at each of
    args.sizes[0] px, in the fastest engine the device has (bf16 + channels_last where bf16 is native)."""
    backbone, lstm_hidden, heads = model_layout(args)
    engine = Engine.fastest(device)
    models = build_models(backbone, lstm_hidden, heads, device, engine.channels_last)
    size, batch = args.sizes[0], args.batch_size
    pixels = engine.prepare_pixels(torch.randn(batch, 3, size, size, device=device))
    labels = torch.randint(0, 2, (batch, NUM_LABELS), device=device).float()
    table = {}
    for name, model in models.items():
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        for kind, ms in step_profile(model, optimizer, engine, pixels, labels, device).items():
            table.setdefault(kind, {})[name] = ms
    return engine.name, list(models), table
