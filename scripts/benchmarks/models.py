# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training and inference speed: this model, its ablation rungs and a plain ResNet-18, side by side."""

import contextlib
import copy
import statistics
import time

import torch
from ablation import VARIANTS as LADDER
from transformers import ResNetConfig, ResNetForImageClassification

from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification
from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE

NUM_LABELS = 40


def our_model(backbone: dict, lstm_hidden: int, heads: int, num_labels: int = NUM_LABELS, **config):
    """This model with random weights, for multi-label BCE (speed does not depend on the weights)."""
    config = ResNetLstmAttentionConfig(
        backbone_config=ResNetConfig(**backbone),
        lstm_hidden_size=lstm_hidden,
        num_attention_heads=heads,
        num_labels=num_labels,
        problem_type="multi_label_classification",
        **config,
    )
    return ResNetLstmAttentionForImageClassification(config)


# The other rungs of scripts/ablation.py's ladder (--rungs). Their flags are config fields (`--field value`, as
# run_classification.py makes every field a flag), so they become this model's config as they are.
RUNGS = {
    name: {flag.removeprefix("--"): value for flag, value in zip(flags[::2], flags[1::2])}
    for name, (_, flags) in LADDER.items()
    if name in ("attention", "bilstm-mean", "gru-queries")
}


def build_models(backbone: dict, lstm_hidden: int, heads: int, device, channels_last: bool, rungs: bool = False):
    ours = our_model(backbone, lstm_hidden, heads)
    layout = {k: v for k, v in backbone.items() if k != "out_features"}
    plain = ResNetForImageClassification(
        ResNetConfig(**layout, num_labels=NUM_LABELS, problem_type="multi_label_classification")
    )
    models = {"this model": ours, "plain ResNet-18": plain}
    if rungs:
        models.update({name: our_model(backbone, lstm_hidden, heads, **config) for name, config in RUNGS.items()})
    for model in models.values():
        model.to(device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
    return models


def timed(fn, iterations: int, device) -> float:
    """Seconds per iteration."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    fn()  # warm-up (and compilation)
    sync()
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    sync()
    return (time.perf_counter() - start) / iterations


def model_layout(args) -> tuple[dict, int, int]:
    """(backbone, LSTM hidden size, heads): the default model's, or a tiny one for --tiny."""
    if args.tiny:
        return dict(RESNET18_BACKBONE, embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1]), 16, 2
    return dict(RESNET18_BACKBONE), 256, 8


def model_benchmark(args, device) -> list[tuple]:
    backbone, lstm_hidden, heads = model_layout(args)
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext
    memory = torch.channels_last if args.channels_last else torch.contiguous_format
    models = build_models(backbone, lstm_hidden, heads, device, args.channels_last, args.rungs)
    if args.compile:
        # Two ways past the LSTM: compile all but it (the backbone is where the time goes), or let dynamo
        # trace through it (allow_rnn). Separate copies, so neither compiled graph sees the other's settings.
        torch._dynamo.config.allow_rnn = True
        excluded = copy.deepcopy(models["this model"])
        excluded.model.backbone = torch.compile(excluded.model.backbone)
        models["this model, compiled without LSTM"] = excluded
        models["this model, compiled with allow_rnn"] = torch.compile(copy.deepcopy(models["this model"]))
        models["plain ResNet-18, compiled"] = torch.compile(copy.deepcopy(models["plain ResNet-18"]))
    variants = {name: (model, torch.optim.AdamW(model.parameters(), lr=1e-4)) for name, model in models.items()}

    def train_step(model, optimizer, pixels, labels):
        model.train()
        with autocast():
            loss = model(pixel_values=pixels, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    @torch.no_grad()
    def infer(model, pixels):
        model.eval()
        with autocast():
            model(pixel_values=pixels)

    rows = []
    for size in args.sizes:
        batch = args.batch_size
        pixels = torch.randn(batch, 3, size, size, device=device).contiguous(memory_format=memory)
        single = pixels[:1].contiguous(memory_format=memory)
        labels = torch.randint(0, 2, (batch, NUM_LABELS), device=device).float()
        times = {(v, mode): [] for v in variants for mode in ("train", "infer bs1", f"infer bs{batch}")}
        for _ in range(args.rounds):
            for variant, (model, optimizer) in variants.items():
                steps = args.iterations
                times[(variant, "train")].append(
                    batch / timed(lambda: train_step(model, optimizer, pixels, labels), steps, device)
                )
                times[(variant, "infer bs1")].append(1 / timed(lambda: infer(model, single), steps, device))
                times[(variant, f"infer bs{batch}")].append(batch / timed(lambda: infer(model, pixels), steps, device))
        for mode in ("train", "infer bs1", f"infer bs{batch}"):
            base = statistics.median(times[("plain ResNet-18", mode)])
            for variant in variants:
                value = statistics.median(times[(variant, mode)])
                rows.append((size, mode, variant, value, value / base))
    return rows
