#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Predict attributes for your own photos and videos → CSV, one row per face (per frame).

    python scripts/predict.py --model outputs/synthetic --inputs photos/ "more/*.jpg" --output predictions.csv
    python scripts/predict.py --model outputs/synthetic --inputs photos/ --annotate annotated/ --save_faces faces/
    python scripts/predict.py --model outputs/synthetic --inputs crops/ --faces aligned --threshold saved
    python scripts/predict.py --model outputs/synthetic --inputs clip.mp4 --every 5 --annotate annotated/

Columns: file (as you gave it), [frame, time_s: for a video, the frame's index and time; only when an input is a
video], face (index in the image, left to right), x0 y0 x1 y1 (its box in the upright photo's pixels),
detection_score, then a probability and a 0/1 per attribute. Videos (.mp4, .mov, .avi, .mkv, .webm, …; needs
pip install -e ".[video]") are read every --every frames, their faces batched across frames; --annotate writes an
annotated MP4 of the frames read. Photos are turned upright from their
EXIF orientation. --faces auto (the default) takes images of CelebA's crop shape (178×218, or that aspect ratio
up to twice the size) as already aligned faces and finds and aligns the faces in every other image, the way
CelebA's crops were made; --faces detect / aligned force one or the other. Detection needs
pip install -e ".[faces]".
"""

import argparse
import logging

import torch

from face_attributes.engine import Engine, add_engine_arguments
from face_attributes.inference.onnx_model import OnnxModelError
from face_attributes.inference.predictions import predict_files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        required=True,
        help="A folder written by run_classification.py (or a Hub id), or a .onnx file from scripts/export_onnx.py.",
    )
    parser.add_argument("--inputs", nargs="+", required=True, help="Image files, folders or glob patterns.")
    parser.add_argument("--output", default="predictions.csv", help="CSV to write.")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument(
        "--threshold",
        default="0.5",
        help="A probability, or 'saved' for the per-attribute thresholds chosen on validation.",
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:1 … (default: cuda when available)")
    parser.add_argument(
        "--faces",
        choices=["auto", "detect", "aligned"],
        default="auto",
        help="Find faces in photos, take images as aligned crops, or decide per image (default).",
    )
    parser.add_argument("--every", type=int, default=1, help="Videos: classify every Nth frame (default every one).")
    parser.add_argument("--save_faces", metavar="DIR", help="Write each aligned 178×218 face crop here.")
    parser.add_argument("--annotate", metavar="DIR", help="Write each photo with its boxes and top attributes here.")
    add_engine_arguments(parser)
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}.")
    threshold = args.threshold if args.threshold == "saved" else float(args.threshold)
    try:
        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        engine = Engine.from_options(args.bf16, args.channels_last, device)
        written, skipped = predict_files(
            args.model,
            args.inputs,
            args.output,
            args.batch_size,
            threshold,
            args.device,
            args.faces,
            args.save_faces,
            args.annotate,
            engine,
            args.every,
        )
    except (OnnxModelError, ValueError, ImportError) as error:
        parser.exit(2, f"error: {error}\n")
    for path, reason in skipped:
        logging.warning("Skipped %s (%s)", path, reason)
    unreadable = sum(reason.startswith("unreadable") for _, reason in skipped)  # photos and videos
    print(
        f"Wrote {written} row(s) to {args.output}; skipped {unreadable} unreadable file(s) and "
        f"{len(skipped) - unreadable} image(s) without a face."
    )
    for path, reason in skipped:
        print(f"  skipped {path}: {reason}")


if __name__ == "__main__":
    main()
