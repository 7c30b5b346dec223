# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Deployment speed: PyTorch eager vs ONNX Runtime fp32 and int8, and face detection with alignment."""

import copy
import os
import statistics
import tempfile
import time

import torch

from face_attributes.engine import Engine

from .models import model_layout, our_model


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


def eager_runner(model, engine: Engine):
    """The model run as the pipeline runs it in `engine` (a copy in its memory format, batches converted)."""
    model = engine.prepare_model(copy.deepcopy(model))

    def run(pixel_values: torch.Tensor):
        with engine.autocast("cpu"):
            return model(engine.prepare_pixels(pixel_values))

    return run


def onnx_benchmark(args) -> list[tuple]:
    """PyTorch eager (fp32, and bf16 + channels_last where the CPU runs bf16 natively) vs ONNX Runtime fp32 vs int8:
    batch-1 latency (median, p95) and batch-32 throughput.

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
                fastest = Engine.fastest("cpu")
                runners = {
                    "PyTorch eager": model,
                    **({f"PyTorch eager {fastest.name}": eager_runner(model, fastest)} if fastest.bf16 else {}),
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
