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


def predict_benchmark(args) -> list[tuple]:
    """faces/s of scripts/predict.py's path (`predict_files`: open, find, batch, classify, write the CSV) on a folder
    of aligned 178×218 faces, by engine and batch size, and on a folder of group photos (5 faces each, found by MTCNN)
    at the largest batch. The default 40-attribute model at 144 px (the README demo's size), random weights."""
    from face_attributes.data.example_photos import group_photo
    from face_attributes.data.images import build_image_processor
    from face_attributes.data.synthetic import make_face
    from face_attributes.inference.onnx_export import export_onnx, quantize_int8
    from face_attributes.inference.predictions import predict_files

    size, count = (64, 8) if args.tiny else (144, 128)
    batches = [1, 8] if args.tiny else [1, 8, 32]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        backbone, lstm_hidden, heads = model_layout(args)
        model_dir = os.path.join(folder, "model")
        our_model(backbone, lstm_hidden, heads, image_size=size).eval().save_pretrained(model_dir)
        build_image_processor(size).save_pretrained(model_dir)
        onnx_path = os.path.join(folder, "model.int8.onnx")
        export_onnx(model_dir, os.path.join(folder, "model.onnx"))
        calibration = [torch.randn(1, 3, size, size).numpy() for _ in range(8)]
        quantize_int8(os.path.join(folder, "model.onnx"), onnx_path, calibration)
        faces, photos = os.path.join(folder, "faces"), os.path.join(folder, "photos")
        os.makedirs(faces), os.makedirs(photos)
        for i in range(count):
            make_face(0, "test", i).image.save(os.path.join(faces, f"{i:04d}.png"))
        for i in range(2 if args.tiny else 8):
            group_photo()[0].save(os.path.join(photos, f"{i}.jpg"), quality=92)
        fastest = Engine.fastest("cpu")
        engines = {"eager fp32": (model_dir, Engine()), "ONNX Runtime int8": (onnx_path, Engine())}
        if fastest.bf16:
            engines[f"eager {fastest.name}"] = (model_dir, fastest)
        runs = [("aligned faces", faces, name, batch) for name in engines for batch in batches]
        runs += [("group photos, MTCNN", photos, name, batches[-1]) for name in engines]
        for kind, inputs, name, batch in runs:
            model, engine = engines[name]
            output = os.path.join(folder, "predictions.csv")
            predict_files(model, [inputs], output, batch_size=batch, engine=engine)  # warm-up
            start = time.perf_counter()
            written, _ = predict_files(model, [inputs], output, batch_size=batch, engine=engine)
            rows.append((kind, name, batch, written / (time.perf_counter() - start)))
    return rows
