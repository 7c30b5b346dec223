#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Speed, side by side in one process: this model vs a plain ResNet-18 classifier, and the input pipelines.

    python scripts/benchmark.py                         # CPU: model and pipeline tables
    python scripts/benchmark.py --bf16 --channels_last  # the fast options (on a GPU when there is one)
    python scripts/benchmark.py --compile               # adds torch.compile rows (LSTM graph-broken vs traced)
    python scripts/benchmark.py --rungs                 # adds the ablation ladder's other rungs (no BiLSTM, ...)
    python scripts/benchmark.py --sources               # rows/s building each data source at 1,000 images
    python scripts/benchmark.py --checkpointing_memory --skip_models --skip_pipeline  # one step's peak memory
    python scripts/benchmark.py --onnx --skip_models --skip_pipeline  # PyTorch vs ONNX Runtime fp32 / int8
    python scripts/benchmark.py --tiny                  # seconds-long smoke run (CI)

Each measurement is the median over interleaved rounds (every variant once per round), so drifting clocks
and other load hit all variants alike. Ratios are this model / plain ResNet-18 (≥ 1 means faster).
"""

import argparse
import contextlib
import copy
import os
import platform
import statistics
import sys
import tempfile
import time

import torch
from transformers import ResNetConfig, ResNetForImageClassification

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification
from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the other scripts
from ablation import VARIANTS as LADDER

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


def pipeline_benchmark(args) -> list[tuple]:
    """images/s of the input pipelines: resized_crop on the fly (decode + v2 transform in workers), margin_crop on the
    fly (decode + resize in workers, augmentation per batch) and from the uint8 cache."""
    from datasets import DatasetDict, disable_progress_bars

    from face_attributes.data.images import collate, make_batch_transform
    from face_attributes.data.labels import normalize_labels
    from face_attributes.data.sources import load_synthetic
    from face_attributes.training.augmentation import MarginCropAugment, resized_crop_transform
    from face_attributes.training.uint8_cache import Uint8BatchCollator, build_uint8_cache, set_uint8_transforms

    disable_progress_bars()
    count = 64 if args.tiny else args.pipeline_images
    size = 64 if args.tiny else args.pipeline_size
    labels = ["Male", "Smiling"]
    with tempfile.TemporaryDirectory() as cache_dir:
        raw = load_synthetic(sizes={"train": count, "validation": 0, "test": 0}, cache_dir=cache_dir)
        raw = normalize_labels(raw.remove_columns("index"), labels)["train"].select_columns(["image", *labels])
        start = time.perf_counter()
        cached = build_uint8_cache({"train": raw}, size, labels, num_proc=None)["train"]
        cache_build = count / (time.perf_counter() - start)
        on_the_fly = raw.with_transform(make_batch_transform(resized_crop_transform(size), labels))
        margin_on_the_fly = DatasetDict({"train": raw.with_format(None)})
        set_uint8_transforms(margin_on_the_fly, size, labels)
        augment = MarginCropAugment(size)
        cores = os.cpu_count() or 1
        loaders = {
            "resized_crop on the fly": (on_the_fly, collate, lambda b: b["pixel_values"]),
            "margin_crop on the fly": (
                margin_on_the_fly["train"],
                Uint8BatchCollator(labels),
                lambda b: augment(b["pixels"], train=True),
            ),
            "uint8 cache": (cached, Uint8BatchCollator(labels), lambda b: augment(b["pixels"], train=True)),
        }
        rows = [("uint8 cache build (decode+resize once)", "1 process", cache_build)]
        for workers, label in ((0, "1 core"), (cores, f"{cores} cores")):
            results = {name: [] for name in loaders}
            for _ in range(args.rounds):
                for name, (ds, collator, finish) in loaders.items():
                    loader = torch.utils.data.DataLoader(
                        ds, batch_size=32, shuffle=True, collate_fn=collator, num_workers=workers
                    )
                    start = time.perf_counter()
                    seen = sum(finish(batch).shape[0] for batch in loader)
                    results[name].append(seen / (time.perf_counter() - start))
            for name in loaders:
                rows.append((name, label, statistics.median(results[name])))
    return rows


def timed_epoch_waits(loader, model, augment, optimizer, device) -> tuple[float, float]:
    """Two epochs of training steps; returns (seconds blocked in next(iterator), wall seconds) of the second."""
    waited, start = 0.0, None
    for epoch in range(2):  # the first epoch warms up workers and allocator
        iterator = iter(loader)
        if epoch == 1:
            waited, start = 0.0, time.perf_counter()
        while True:
            before = time.perf_counter()
            try:
                batch = next(iterator)
            except StopIteration:
                break
            waited += time.perf_counter() - before
            pixel_values = augment(batch["pixels"].to(device), train=True)
            loss = model(pixel_values=pixel_values, labels=batch["labels"].to(device)).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return waited, time.perf_counter() - start


def data_wait_benchmark(args, device) -> tuple[float, float]:
    """Share of step time spent waiting for the next batch in a short training loop on the cached pipeline.

    Measured as the time blocked in next(iterator) over the wall time of the loop (step time = wait + compute).
    """
    from datasets import disable_progress_bars

    from face_attributes.data.labels import normalize_labels
    from face_attributes.data.sources import load_synthetic
    from face_attributes.training.augmentation import MarginCropAugment
    from face_attributes.training.uint8_cache import Uint8BatchCollator, build_uint8_cache

    disable_progress_bars()
    size, count = (64, 64) if args.tiny else (args.pipeline_size, 512)
    labels = ["Male", "Smiling"]
    with tempfile.TemporaryDirectory() as cache_dir:
        raw = load_synthetic(sizes={"train": count, "validation": 0, "test": 0}, cache_dir=cache_dir)
        raw = normalize_labels(raw.remove_columns("index"), labels)["train"].select_columns(["image", *labels])
        cached = build_uint8_cache({"train": raw}, size, labels)["train"]
        backbone = dict(RESNET18_BACKBONE)
        if args.tiny:
            backbone.update(embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1])
        model = our_model(backbone, 16 if args.tiny else 256, 2 if args.tiny else 8, num_labels=2).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        augment = MarginCropAugment(size).to(device)
        loader = torch.utils.data.DataLoader(
            cached,
            batch_size=32,
            shuffle=True,
            collate_fn=Uint8BatchCollator(labels),
            num_workers=1,
            persistent_workers=True,
            prefetch_factor=4,
        )
        waited, total = timed_epoch_waits(loader, model, augment, optimizer, device)
    return waited / total, count / total


def sources_benchmark(args) -> list[tuple]:
    """rows/s building each source from 1,000 images (first build, then the cached second run)."""
    from datasets import disable_progress_bars

    from face_attributes.data.sources import load_source
    from face_attributes.data.synthetic_files import write_celeba_release, write_hub_parquet, write_image_folder
    from face_attributes.training.augmentation import resized_crop_transform

    disable_progress_bars()
    count = 50 if args.tiny else 1000
    sizes = {"train": count * 8 // 10, "validation": count // 10, "test": count - count * 8 // 10 - count // 10}
    rows = []
    with tempfile.TemporaryDirectory() as root:
        sources = {
            "original release (txt)": lambda: dict(data_dir=str(write_celeba_release(f"{root}/release", sizes))),
            "Kaggle layout (csv)": lambda: dict(
                data_dir=str(write_celeba_release(f"{root}/kaggle", sizes, kaggle=True))
            ),
            "Hub layout (parquet)": lambda: dict(dataset_name=str(write_hub_parquet(f"{root}/hub", sizes))),
            "image folder + metadata.csv": lambda: dict(train_dir=str(write_image_folder(f"{root}/folder", count))),
            "synthetic (generated)": lambda: dict(dataset_name="synthetic", synthetic_sizes=sizes),
        }
        for name, write in sources.items():
            kwargs = dict(write(), cache_dir=f"{root}/cache")
            timings = []
            for _ in range(2):
                start = time.perf_counter()
                dataset = load_source(**kwargs)
                timings.append(sum(len(d) for d in dataset.values()) / (time.perf_counter() - start))
            rows.append((name, timings[0], timings[1]))
        train_transform = resized_crop_transform(224)
        images = [dataset["train"][i]["image"].convert("RGB") for i in range(min(64, len(dataset["train"])))]
        start = time.perf_counter()
        for image in images:
            train_transform(image)
        rows.append(("train transform at 224 px (images/s)", len(images) / (time.perf_counter() - start), None))
    return rows


def faces_benchmark(args) -> list[tuple]:
    """Face detection + CelebA alignment on the group photo scaled to a few sizes: images/s and faces/s."""
    from face_attributes.data.example_photos import group_photo
    from face_attributes.inference.faces import FaceDetector, align_face

    detector = FaceDetector()
    photo, _ = group_photo()
    rows = []
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        for side in [512] if args.tiny else [512, 1024, 2048]:
            scaled = photo.resize((side, round(side * photo.height / photo.width)))
            found = detector(scaled)  # warm-up, and the face count
            repeats = 1 if args.tiny else 5
            start = time.perf_counter()
            for _ in range(repeats):
                for _, _, landmarks in detector(scaled):
                    align_face(scaled, landmarks)
            seconds = (time.perf_counter() - start) / repeats
            rows.append((f"{scaled.width}×{scaled.height}", threads, len(found), 1 / seconds, len(found) / seconds))
    return rows


def time_runners(runners: dict, single: torch.Tensor, full: torch.Tensor, repeats: int) -> tuple[dict, dict]:
    """Per runner: batch-1 latencies (s) and full-batch throughputs (images/s), interleaved over `repeats` rounds."""
    latencies = {name: [] for name in runners}
    throughput = {name: [] for name in runners}
    with torch.no_grad():
        for name, runner in runners.items():
            runner(single), runner(full)  # warm-up
        for _ in range(repeats):  # interleaved, so that other load hits every runner alike
            for name, runner in runners.items():
                for _ in range(10):
                    start = time.perf_counter()
                    runner(single)
                    latencies[name].append(time.perf_counter() - start)
                start = time.perf_counter()
                runner(full)
                throughput[name].append(len(full) / (time.perf_counter() - start))
    return latencies, throughput


def onnx_benchmark(args) -> list[tuple]:
    """PyTorch eager vs ONNX Runtime fp32 vs int8: batch-1 latency (median, p95) and batch-32 throughput.

    The default 40-attribute model at each size (random weights: speed does not depend on them), exported by
    face_attributes.inference.onnx_export as scripts/export_onnx.py does (logits only), quantized to static int8.
    """
    from face_attributes.data.images import build_image_processor
    from face_attributes.inference.onnx_export import export_onnx, quantize_int8
    from face_attributes.inference.onnx_model import OnnxClassifier

    rows = []
    sizes, batch = ([64], 4) if args.tiny else (args.onnx_sizes, 32)
    repeats = 3 if args.tiny else args.onnx_repeats
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            backbone, lstm_hidden, heads = model_layout(args)
            model = our_model(backbone, lstm_hidden, heads, image_size=size).eval()
            model.save_pretrained(folder)
            build_image_processor(size).save_pretrained(folder)
            export_onnx(folder, os.path.join(folder, "model.onnx"))
            # Random weights and inputs: calibrated on random images, which is all the speed depends on.
            calibration = [torch.randn(1, 3, size, size).numpy() for _ in range(8)]
            quantize_int8(os.path.join(folder, "model.onnx"), os.path.join(folder, "model.int8.onnx"), calibration)
            single, full = torch.randn(1, 3, size, size), torch.randn(batch, 3, size, size)
            for threads in sorted({1, os.cpu_count() or 1}):
                torch.set_num_threads(threads)
                runners = {
                    "PyTorch eager": model,
                    "ONNX Runtime fp32": OnnxClassifier(os.path.join(folder, "model.onnx"), threads),
                    "ONNX Runtime int8": OnnxClassifier(os.path.join(folder, "model.int8.onnx"), threads),
                }
                latencies, throughput = time_runners(runners, single, full, repeats)
                eager = statistics.median(latencies["PyTorch eager"])
                for name in runners:
                    ordered = sorted(latencies[name])
                    median, p95 = statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
                    rows.append(
                        (
                            size,
                            threads,
                            name,
                            1000 * median,
                            1000 * p95,
                            median / eager,
                            statistics.median(throughput[name]),
                        )
                    )
    torch.set_num_threads(os.cpu_count() or 1)
    return rows


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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=3, help="Timed iterations per round.")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds; medians are reported.")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--channels_last", action="store_true")
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
    name = torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() or platform.machine()
    print(
        f"# {time.strftime('%Y-%m-%d')} · {device.type}: {name} · {os.cpu_count()} cores · torch {torch.__version__}"
        f" · bf16={args.bf16} channels_last={args.channels_last} compile={args.compile}"
    )

    if not args.skip_models:
        print("\n| px | mode | model | images/s | × plain ResNet-18 |\n|---|---|---|---|---|")
        for size, mode, variant, value, ratio in model_benchmark(args, device):
            print(f"| {size} | {mode} | {variant} | {value:,.1f} | {ratio:.2f} |")
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
    if args.checkpointing_memory:
        print_checkpointing_table(args)
    if args.faces:
        print("\n| photo (group photo, 5 faces) | threads | faces found | images/s | faces/s |\n|---|---|---|---|---|")
        for size, threads, count, images, faces in faces_benchmark(args):
            print(f"| {size} | {threads} | {count} | {images:,.2f} | {faces:,.1f} |")


if __name__ == "__main__":
    main()
