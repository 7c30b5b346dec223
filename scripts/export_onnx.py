#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Export a trained model folder to one ONNX file for ONNX Runtime (and, with --quantize int8, an int8 copy).

    python scripts/export_onnx.py --model outputs/synthetic --output outputs/synthetic.onnx --attentions
    python scripts/export_onnx.py --model outputs/synthetic --output outputs/synthetic.onnx --attentions \\
        --quantize int8 --dataset_name synthetic     # int8 calibrated on validation images; accuracy of each

Input `pixel_values` (batch, 3, size, size) at the saved image size, any batch; outputs `logits` and, with
--attentions, `attention_maps` (batch, queries, H, W): the head-averaged attention on the token grid that the
pictures draw. Labels, thresholds and preprocessing go into the file's metadata, so the file alone is a --model for
scripts/predict.py and app.py. The export is checked with onnx.checker and against PyTorch on batches of 1 and 3.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from transformers import AutoModelForImageClassification

from face_attributes.data.labels import config_label_names
from face_attributes.inference.onnx_export import PARITY_TOLERANCE, export_onnx, quantize_int8
from face_attributes.inference.onnx_model import OnnxClassifier


def validation_batches(processor, label_names: list[str], args) -> list[tuple[torch.Tensor, np.ndarray]]:
    """The validation split as (pixel_values, labels) batches of 64, preprocessed the way the exported file is."""
    from face_attributes.data.labels import normalize_labels
    from face_attributes.data.sources import load_source

    dataset = load_source(
        dataset_name=args.dataset_name, dataset_config_name=args.dataset_config_name, data_dir=args.data_dir
    )
    split = normalize_labels(dataset, label_names)["validation"]
    if args.max_eval_samples:
        split = split.select(range(min(args.max_eval_samples, len(split))))
    labels = np.stack([np.asarray(split[name]) for name in label_names], 1).astype(bool)
    return [
        (processor(split[i : i + 64]["image"], return_tensors="pt")["pixel_values"], labels[i : i + 64])
        for i in range(0, len(split), 64)
    ]


@torch.no_grad()
def validation_accuracy(runners: dict, batches: list[tuple[torch.Tensor, np.ndarray]]) -> dict[str, float]:
    """Mean accuracy over the attributes at probability 0.5, for each model on the same preprocessed batches."""
    total = sum(labels.size for _, labels in batches)
    return {
        name: sum(int(((runner(pixels).logits.numpy() >= 0) == labels).sum()) for pixels, labels in batches) / total
        for name, runner in runners.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="A folder written by run_classification.py.")
    parser.add_argument("--output", required=True, help="The .onnx file to write.")
    parser.add_argument("--attentions", action="store_true", help="Also output the attention maps.")
    parser.add_argument(
        "--quantize",
        choices=["int8"],
        help="Also write a static int8 copy (OUTPUT with .int8.onnx), calibrated on validation images.",
    )
    parser.add_argument("--calibration_images", type=int, default=64, help="Validation images to calibrate int8 on.")
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument(
        "--dataset_name", help="Data whose validation split calibrates int8 and scores each model (e.g. synthetic)."
    )
    parser.add_argument("--dataset_config_name")
    parser.add_argument("--data_dir")
    parser.add_argument("--max_eval_samples", type=int)
    args = parser.parse_args(argv)
    if not args.output.lower().endswith(".onnx"):
        parser.error(f"--output {args.output}: the file name must end in .onnx")
    if args.quantize and not (args.dataset_name or args.data_dir):
        parser.error("--quantize int8 calibrates on validation images: pass --dataset_name or --data_dir too.")

    differences = export_onnx(args.model, args.output, attentions=args.attentions, opset=args.opset)
    print(
        f"Wrote {args.output}: onnx.checker passed; max |ONNX Runtime − PyTorch| on batches of 1 and 3: "
        + ", ".join(f"{name} {value:.1e}" for name, value in differences.items())
        + f" (≤ {PARITY_TOLERANCE})"
    )
    fp32 = OnnxClassifier(args.output)
    label_names = config_label_names(fp32.config)
    with_data = args.dataset_name or args.data_dir
    batches = validation_batches(fp32.image_processor(), label_names, args) if with_data else []
    runners = {
        "PyTorch": AutoModelForImageClassification.from_pretrained(args.model, trust_remote_code=True).eval(),
        "ONNX fp32": fp32,
    }
    files = {"PyTorch": args.model, "ONNX fp32": args.output}
    if args.quantize:
        files["ONNX int8"] = args.output[: -len(".onnx")] + ".int8.onnx"
        calibration = [pixels[i : i + 1].numpy() for pixels, _ in batches for i in range(len(pixels))]
        quantize_int8(args.output, files["ONNX int8"], calibration[: args.calibration_images])
        runners["ONNX int8"] = OnnxClassifier(files["ONNX int8"])
        print(
            f"Wrote {files['ONNX int8']} (static int8, calibrated on {min(len(calibration), args.calibration_images)} "
            "validation images)"
        )
    if batches:
        print("\n| model | validation mean accuracy |\n|---|---|")
        for name, value in validation_accuracy(runners, batches).items():
            print(f"| {name} ({files[name]}) | {100 * value:.2f} % |")


if __name__ == "__main__":
    main()
