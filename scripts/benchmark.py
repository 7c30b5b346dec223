#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Speed, side by side in one process: this model vs a plain ResNet-18 classifier, and the input pipelines.

    python scripts/benchmark.py                         # CPU: model and pipeline tables
    python scripts/benchmark.py --bf16 --channels_last  # the fast options (on a GPU when there is one)
    python scripts/benchmark.py --compile               # adds torch.compile rows (LSTM graph-broken vs traced)
    python scripts/benchmark.py --sources               # rows/s building each data source at 1,000 images
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
from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification  # noqa: E402
from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE  # noqa: E402

NUM_LABELS = 40


def build_models(backbone: dict, lstm_hidden: int, heads: int, device, channels_last: bool):
    ours = ResNetLstmAttentionForImageClassification(ResNetLstmAttentionConfig(
        backbone_config=ResNetConfig(**backbone), lstm_hidden_size=lstm_hidden, num_attention_heads=heads,
        num_labels=NUM_LABELS, problem_type="multi_label_classification"))  # fmt: skip
    layout = {k: v for k, v in backbone.items() if k != "out_features"}
    plain = ResNetForImageClassification(ResNetConfig(**layout, num_labels=NUM_LABELS,
                                                      problem_type="multi_label_classification"))  # fmt: skip
    models = {"this model": ours, "plain ResNet-18": plain}
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


def model_benchmark(args, device) -> list[tuple]:
    backbone = dict(RESNET18_BACKBONE)
    lstm_hidden, heads = 256, 8
    if args.tiny:
        backbone.update(embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1])
        lstm_hidden, heads = 16, 2
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext
    memory = torch.channels_last if args.channels_last else torch.contiguous_format
    models = build_models(backbone, lstm_hidden, heads, device, args.channels_last)
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
                    batch / timed(lambda: train_step(model, optimizer, pixels, labels), steps, device))
                times[(variant, "infer bs1")].append(1 / timed(lambda: infer(model, single), steps, device))
                times[(variant, f"infer bs{batch}")].append(batch / timed(lambda: infer(model, pixels), steps, device))
        for mode in ("train", "infer bs1", f"infer bs{batch}"):
            base = statistics.median(times[("plain ResNet-18", mode)])
            for variant in variants:
                value = statistics.median(times[(variant, mode)])
                rows.append((size, mode, variant, value, value / base))
    return rows


def pipeline_benchmark(args) -> list[tuple]:
    """images/s of the on-the-fly path (decode + v2 transform in workers) vs the uint8 cache path."""
    from datasets import disable_progress_bars

    from face_attributes.cache import CachedBatchCollator, DeviceAugment, build_uint8_cache
    from face_attributes.data import load_synthetic, normalize_labels
    from face_attributes.images import build_transforms, collate, make_batch_transform

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
        train_transform, _ = build_transforms(size)
        on_the_fly = raw.with_transform(make_batch_transform(train_transform, labels))
        augment = DeviceAugment(size)
        cores = os.cpu_count() or 1
        loaders = {
            "on-the-fly": (on_the_fly, collate, lambda b: b["pixel_values"]),
            "uint8 cache": (cached, CachedBatchCollator(labels), lambda b: augment(b["pixels"], train=True)),
        }
        rows = [("uint8 cache build (decode+resize once)", "1 process", cache_build)]
        for workers, label in ((0, "1 core"), (cores, f"{cores} cores")):
            results = {name: [] for name in loaders}
            for _ in range(args.rounds):
                for name, (ds, collator, finish) in loaders.items():
                    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True, collate_fn=collator,
                                                         num_workers=workers)  # fmt: skip
                    start = time.perf_counter()
                    seen = sum(finish(batch).shape[0] for batch in loader)
                    results[name].append(seen / (time.perf_counter() - start))
            for name in loaders:
                rows.append((name, label, statistics.median(results[name])))
    return rows


def data_wait_benchmark(args, device) -> tuple[float, float]:
    """Share of step time spent waiting for the next batch in a short training loop on the cached pipeline.

    Measured as the time blocked in next(iterator) over the wall time of the loop (step time = wait + compute).
    """
    from datasets import disable_progress_bars

    from face_attributes.cache import CachedBatchCollator, DeviceAugment, build_uint8_cache
    from face_attributes.data import load_synthetic, normalize_labels

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
        model = ResNetLstmAttentionForImageClassification(ResNetLstmAttentionConfig(
            backbone_config=ResNetConfig(**backbone), num_labels=2, lstm_hidden_size=16 if args.tiny else 256,
            num_attention_heads=2 if args.tiny else 8, problem_type="multi_label_classification")).to(device)  # fmt: skip
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        augment = DeviceAugment(size).to(device)
        loader = torch.utils.data.DataLoader(cached, batch_size=32, shuffle=True, collate_fn=CachedBatchCollator(labels),
                                             num_workers=1, persistent_workers=True, prefetch_factor=4)  # fmt: skip
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
                loss = model(pixel_values=augment(batch["pixels"].to(device), train=True),
                             labels=batch["labels"].to(device)).loss  # fmt: skip
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        total = time.perf_counter() - start
    return waited / total, count / total


def sources_benchmark(args) -> list[tuple]:
    """rows/s building each source from 1,000 images (first build, then the cached second run)."""
    from datasets import disable_progress_bars

    from face_attributes.data import load_source
    from face_attributes.fixtures import write_celeba_release, write_hub_parquet, write_image_folder
    from face_attributes.images import build_transforms

    disable_progress_bars()
    count = 50 if args.tiny else 1000
    sizes = {"train": count * 8 // 10, "validation": count // 10, "test": count - count * 8 // 10 - count // 10}
    rows = []
    with tempfile.TemporaryDirectory() as root:
        sources = {
            "original release (txt)": lambda: dict(data_dir=str(write_celeba_release(f"{root}/release", sizes))),
            "Kaggle layout (csv)": lambda: dict(data_dir=str(write_celeba_release(f"{root}/kaggle", sizes, kaggle=True))),
            "Hub layout (parquet)": lambda: dict(dataset_name=str(write_hub_parquet(f"{root}/hub", sizes))),
            "image folder + metadata.csv": lambda: dict(train_dir=str(write_image_folder(f"{root}/folder", count))),
            "synthetic (generated)": lambda: dict(dataset_name="synthetic", synthetic_sizes=sizes),
        }  # fmt: skip
        for name, write in sources.items():
            kwargs = dict(write(), cache_dir=f"{root}/cache")
            timings = []
            for _ in range(2):
                start = time.perf_counter()
                dataset = load_source(**kwargs)
                timings.append(sum(len(d) for d in dataset.values()) / (time.perf_counter() - start))
            rows.append((name, timings[0], timings[1]))
        train_transform, _ = build_transforms(224)
        images = [dataset["train"][i]["image"].convert("RGB") for i in range(min(64, len(dataset["train"])))]
        start = time.perf_counter()
        for image in images:
            train_transform(image)
        rows.append(("train transform at 224 px (images/s)", len(images) / (time.perf_counter() - start), None))
    return rows


def faces_benchmark(args) -> list[tuple]:
    """Face detection + CelebA alignment on the group photo scaled to a few sizes: images/s and faces/s."""
    from face_attributes.example_photos import group_photo
    from face_attributes.faces import FaceDetector, align_face

    detector = FaceDetector()
    photo, _ = group_photo()
    rows = []
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        for side in ([512] if args.tiny else [512, 1024, 2048]):
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


def main(argv=None):
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
    parser.add_argument("--skip_models", action="store_true")
    parser.add_argument("--skip_pipeline", action="store_true")
    parser.add_argument("--sources", action="store_true", help="Also time building each data source.")
    parser.add_argument("--faces", action="store_true", help="Also time face detection and alignment (.[faces]).")
    parser.add_argument("--tiny", action="store_true", help="Tiny sizes: a smoke run that takes seconds.")
    args = parser.parse_args(argv)
    if args.tiny:
        args.sizes, args.batch_size, args.iterations, args.rounds = [64], 4, 1, 1
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() or platform.machine()
    print(f"# {time.strftime('%Y-%m-%d')} · {device.type}: {name} · {os.cpu_count()} cores · torch {torch.__version__}"
          f" · bf16={args.bf16} channels_last={args.channels_last} compile={args.compile}")  # fmt: skip

    if not args.skip_models:
        print("\n| px | mode | model | images/s | × plain ResNet-18 |\n|---|---|---|---|---|")
        for size, mode, variant, value, ratio in model_benchmark(args, device):
            print(f"| {size} | {mode} | {variant} | {value:,.1f} | {ratio:.2f} |")
    if not args.skip_pipeline:
        rows = pipeline_benchmark(args)
        print(f"\n| input pipeline ({'64' if args.tiny else args.pipeline_size} px, train) | workers | images/s |"
              "\n|---|---|---|")  # fmt: skip
        for name, workers, value in rows:
            print(f"| {name} | {workers} | {value:,.1f} |")
        by = {(n, w): v for n, w, v in rows}
        for workers in sorted({w for _, w, _ in rows if w != "1 process"}):
            ratio = by[("uint8 cache", workers)] / by[("on-the-fly", workers)]
            print(f"| **cache / on-the-fly** | {workers} | **{ratio:.1f}×** |")
        wait, throughput = data_wait_benchmark(args, device)
        print(f"\nData wait in a training loop on the cache: {100 * wait:.1f} % of step time "
              f"({throughput:,.1f} images/s end to end)")  # fmt: skip
    if args.sources:
        print("\n| source (1,000 images) | first build rows/s | cached rerun rows/s |\n|---|---|---|")
        for name, first, second in sources_benchmark(args):
            print(f"| {name} | {first:,.1f} | {'–' if second is None else f'{second:,.1f}'} |")
    if args.faces:
        print("\n| photo (group photo, 5 faces) | threads | faces found | images/s | faces/s |\n|---|---|---|---|---|")
        for size, threads, count, images, faces in faces_benchmark(args):
            print(f"| {size} | {threads} | {count} | {images:,.2f} | {faces:,.1f} |")


if __name__ == "__main__":
    main()
