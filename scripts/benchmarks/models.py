# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training and inference speed: this model, its ablation rungs and a plain ResNet-18, side by side."""

import copy
import statistics
import sys
import time

import torch
from ablation import VARIANTS as LADDER
from transformers import ResNetConfig, ResNetForImageClassification

from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification
from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE
from face_attributes.engine import Engine, bf16_problem

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


ENGINES = {
    "fp32": Engine(),
    "bf16": Engine(bf16=True),
    "channels_last": Engine(channels_last=True),
    "bf16+channels_last": Engine(bf16=True, channels_last=True),
}


def benchmark_engines(names: list[str] | None, device) -> list[str]:
    """The engines to measure. Left to the default (fp32 and bf16 + channels_last), bf16 is left out where the device
    does not run it natively; named in --engines, every engine runs, an emulated bf16 among them said on stderr (that
    measures what the recipe's detection spares a user of such a CPU)."""
    problem = bf16_problem(device)
    if names is None:
        if problem:
            print(f"bf16 rows left out: {problem} (name them in --engines to measure that)", file=sys.stderr)
            return ["fp32"]
        return ["fp32", "bf16+channels_last"]
    if problem and any(ENGINES[name].bf16 for name in names):
        print(f"bf16 rows measured although {problem}", file=sys.stderr)
    return names


def compiled_variants(models: dict) -> dict:
    """Two ways past the LSTM: compile all but it (the backbone is where the time goes), or let dynamo trace through it
    (allow_rnn). Separate copies, so neither compiled graph sees the other's settings."""
    torch._dynamo.config.allow_rnn = True
    excluded = copy.deepcopy(models["this model"])
    excluded.model.backbone = torch.compile(excluded.model.backbone)
    return {
        "this model, compiled without LSTM": excluded,
        "this model, compiled with allow_rnn": torch.compile(copy.deepcopy(models["this model"])),
        "plain ResNet-18, compiled": torch.compile(copy.deepcopy(models["plain ResNet-18"])),
    }


def model_benchmark(args, device) -> list[tuple]:
    """Rows (px, mode, engine, model, images/s, × plain ResNet-18 of the same engine, × the same model in fp32)."""
    backbone, lstm_hidden, heads = model_layout(args)
    engines = [ENGINES[name] for name in args.engines]
    # One set of weights for every engine: only the memory format and autocast differ between them.
    models = build_models(backbone, lstm_hidden, heads, device, channels_last=False, rungs=args.rungs)
    if args.compile:
        models.update(compiled_variants(models))
    variants = {
        (engine, name): (engine.prepare_model(copy.deepcopy(model)), engine)
        for engine in engines
        for name, model in models.items()
    }
    optimizers = {key: torch.optim.AdamW(model.parameters(), lr=1e-4) for key, (model, _) in variants.items()}

    def train_step(model, engine, optimizer, pixels, labels):
        model.train()
        with engine.autocast(device.type):
            loss = model(pixel_values=pixels, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    @torch.no_grad()
    def infer(model, engine, pixels):
        model.eval()
        with engine.autocast(device.type):
            model(pixel_values=pixels)

    rows = []
    batch = args.batch_size
    modes = ("train", "infer bs1", f"infer bs{batch}")
    for size in args.sizes:
        pixels = torch.randn(batch, 3, size, size, device=device)
        labels = torch.randint(0, 2, (batch, NUM_LABELS), device=device).float()
        inputs = {engine: (engine.prepare_pixels(pixels), engine.prepare_pixels(pixels[:1])) for engine in engines}
        times = {(key, mode): [] for key in variants for mode in modes}
        for _ in range(args.rounds):
            for key, (model, engine) in variants.items():
                full, single = inputs[engine]
                optimizer, steps = optimizers[key], args.iterations
                step_time = timed(lambda: train_step(model, engine, optimizer, full, labels), steps, device)
                times[(key, "train")].append(batch / step_time)
                times[(key, "infer bs1")].append(1 / timed(lambda: infer(model, engine, single), steps, device))
                batch_time = timed(lambda: infer(model, engine, full), steps, device)
                times[(key, f"infer bs{batch}")].append(batch / batch_time)
        median = {key: statistics.median(values) for key, values in times.items()}
        for mode in modes:
            for engine, name in variants:
                value = median[((engine, name), mode)]
                plain = median[((engine, "plain ResNet-18"), mode)]
                fp32 = median.get(((ENGINES["fp32"], name), mode))
                speedup = None if fp32 is None else value / fp32
                rows.append((size, mode, engine.name, name, value, value / plain, speedup))
    return rows
