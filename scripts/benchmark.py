#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Speed, side by side in one process: this model vs a plain ResNet-18 classifier, and the input pipelines.

    python scripts/benchmark.py                         # CPU: model and pipeline tables
    python scripts/benchmark.py --engines bf16+channels_last  # one engine only (default: fp32 and bf16+channels_last)
    python scripts/benchmark.py --profile --skip_pipeline  # where one training step's time goes (torch.profiler)
    python scripts/benchmark.py --compile               # adds torch.compile rows (LSTM graph-broken vs traced)
    python scripts/benchmark.py --rungs                 # adds the ablation ladder's other rungs (no BiLSTM, ...)
    python scripts/benchmark.py --sources               # rows/s building each data source at 1,000 images
    python scripts/benchmark.py --checkpointing_memory --skip_models --skip_pipeline  # one step's peak memory
    python scripts/benchmark.py --onnx --skip_models --skip_pipeline  # PyTorch vs ONNX Runtime fp32 / int8
    python scripts/benchmark.py --predict --skip_models --skip_pipeline  # predict.py's faces/s by engine and batch
    python scripts/benchmark.py --tiny                  # seconds-long smoke run (CI)

Each measurement is the median over interleaved rounds (every variant once per round), so drifting clocks
and other load hit all variants alike. Ratios are this model / plain ResNet-18 (≥ 1 means faster).
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the benchmarks package and the other scripts
from benchmarks.deployment import faces_benchmark, onnx_benchmark, predict_benchmark
from benchmarks.inputs import data_wait_benchmark, pipeline_benchmark, sources_benchmark
from benchmarks.memory import checkpointing_memory_benchmark
from benchmarks.models import ENGINES, RUNGS, benchmark_engines, model_benchmark
from benchmarks.profile import profile_benchmark

from face_attributes.engine import describe_device


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=3, help="Timed iterations per round.")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds; medians are reported.")
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=list(ENGINES),
        help="Precision and memory format, side by side (default: fp32 and bf16+channels_last, the bf16 rows left out"
        " where bf16 is not native; engines named here all run, bf16 emulated where it is not).",
    )
    parser.add_argument("--profile", action="store_true", help="Also profile one training step per model.")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--pipeline_images", type=int, default=512)
    parser.add_argument("--pipeline_size", type=int, default=224)
    parser.add_argument(
        "--rungs", action="store_true", help=f"Also time the ablation ladder's other rungs ({', '.join(RUNGS)})."
    )
    parser.add_argument("--skip_models", action="store_true")
    parser.add_argument("--skip_pipeline", action="store_true")
    parser.add_argument("--sources", action="store_true", help="Also time building each data source.")
    parser.add_argument("--faces", action="store_true", help="Also time face detection and alignment (.[faces]).")
    parser.add_argument("--onnx", action="store_true", help="Also time ONNX Runtime fp32 and int8 against eager.")
    parser.add_argument(
        "--predict", action="store_true", help="Also time scripts/predict.py (faces/s) by engine and batch size."
    )
    parser.add_argument("--onnx_sizes", type=int, nargs="+", default=[144, 224])
    parser.add_argument("--onnx_repeats", type=int, default=5, help="Rounds of 10 batch-1 calls and 1 batch-32 call.")
    parser.add_argument(
        "--checkpointing_memory",
        action="store_true",
        help="Also measure one training step's peak memory with and without activation checkpointing.",
    )
    parser.add_argument("--memory_batch_size", type=int, default=64)
    parser.add_argument("--memory_size", type=int, default=224)
    parser.add_argument("--tiny", action="store_true", help="Tiny sizes: a smoke run that takes seconds.")
    args = parser.parse_args(argv)
    if args.tiny:
        args.sizes, args.batch_size, args.iterations, args.rounds = [64], 4, 1, 1
    return args


def print_model_table(args, device) -> None:
    print(
        "\n| px | mode | engine | model | images/s | × plain ResNet-18 (same engine) | × fp32 (same model) |"
        "\n|---|---|---|---|---|---|---|"
    )
    for size, mode, engine, variant, value, ratio, speedup in model_benchmark(args, device):
        fp32 = "–" if speedup is None else f"{speedup:.2f}"
        print(f"| {size} | {mode} | {engine} | {variant} | {value:,.1f} | {ratio:.2f} | {fp32} |")


def print_profile_table(args, device) -> None:
    engine, models, table = profile_benchmark(args, device)
    print(
        f"\nOne training step, {args.sizes[0]} px, batch {args.batch_size}, {engine}: self time (ms) by kind of work "
        f"(torch.profiler)\n\n| kind | {' | '.join(models)} |\n|---|{'---|' * len(models)}"
    )
    for kind, by_model in table.items():
        print(f"| {kind} | {' | '.join(f'{by_model[m]:,.1f}' for m in models)} |")
    totals = [sum(by_model[m] for by_model in table.values()) for m in models]
    print(f"| **total** | {' | '.join(f'**{t:,.1f}**' for t in totals)} |")


def print_pipeline_tables(args, device) -> None:
    rows = pipeline_benchmark(args)
    print(
        f"\n| input pipeline ({'64' if args.tiny else args.pipeline_size} px, train) | workers | images/s |"
        "\n|---|---|---|"
    )
    for name, workers, value in rows:
        print(f"| {name} | {workers} | {value:,.1f} |")
    by = {(n, w): v for n, w, v in rows}
    for workers in sorted({w for _, w, _ in rows if w != "1 process"}):
        for other in ("resized_crop on the fly", "margin_crop on the fly"):
            ratio = by[("uint8 cache", workers)] / by[(other, workers)]
            print(f"| **cache / {other}** | {workers} | **{ratio:.1f}×** |")
    wait, throughput = data_wait_benchmark(args, device)
    print(
        f"\nData wait in a training loop on the cache: {100 * wait:.1f} % of step time "
        f"({throughput:,.1f} images/s end to end)"
    )


def print_checkpointing_table(args) -> None:
    rows = checkpointing_memory_benchmark(args)
    unit = "GPU memory allocated" if torch.cuda.is_available() else "RSS"
    print(
        f"\n| batch | px | activation checkpointing | peak {unit} added by one training step | step time (s) |"
        "\n|---|---|---|---|---|"
    )
    for batch, size, checkpointing, added, seconds in rows:
        state = "on" if checkpointing else "off"
        print(f"| {batch} | {size} | {state} | {added / 2**30:,.2f} GiB | {seconds:.1f} |")
    (_, _, _, memory_off, time_off), (_, _, _, memory_on, time_on) = rows
    print(f"\nWith checkpointing: {memory_on / memory_off:.2f}× the memory, {time_on / time_off:.2f}× the time.")


def main(argv=None):
    args = parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.engines = benchmark_engines(args.engines, device)
    print(
        f"# {time.strftime('%Y-%m-%d')} · {device.type}: {describe_device(device)} · torch {torch.__version__}"
        f" · engines {' / '.join(args.engines)} · compile={args.compile}"
    )

    if not args.skip_models:
        print_model_table(args, device)
    if args.profile:
        print_profile_table(args, device)
    if not args.skip_pipeline:
        print_pipeline_tables(args, device)
    if args.sources:
        print("\n| source (1,000 images) | first build rows/s | cached rerun rows/s |\n|---|---|---|")
        for name, first, second in sources_benchmark(args):
            print(f"| {name} | {first:,.1f} | {'–' if second is None else f'{second:,.1f}'} |")
    if args.onnx:
        print(
            "\n| px | threads | runtime | batch-1 latency median (ms) | p95 (ms) | × eager latency | "
            "batch-32 images/s |\n|---|---|---|---|---|---|---|"
        )
        for size, threads, name, median, p95, ratio, images in onnx_benchmark(args):
            print(f"| {size} | {threads} | {name} | {median:.1f} | {p95:.1f} | {ratio:.2f} | {images:,.1f} |")
    if args.predict:
        print("\n| input (scripts/predict.py) | engine | batch | faces/s |\n|---|---|---|---|")
        for kind, engine, batch, faces in predict_benchmark(args):
            print(f"| {kind} | {engine} | {batch} | {faces:,.1f} |")
    if args.checkpointing_memory:
        print_checkpointing_table(args)
    if args.faces:
        print("\n| photo (group photo, 5 faces) | threads | faces found | images/s | faces/s |\n|---|---|---|---|---|")
        for size, threads, count, images, faces in faces_benchmark(args):
            print(f"| {size} | {threads} | {count} | {images:,.2f} | {faces:,.1f} |")


if __name__ == "__main__":
    main()
