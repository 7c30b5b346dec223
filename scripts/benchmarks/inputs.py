# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The input side: the per-image pipelines vs the uint8 cache, data wait in a training loop, data-source builds."""

import os
import statistics
import tempfile
import time

import torch

from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE

from .models import our_model


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
