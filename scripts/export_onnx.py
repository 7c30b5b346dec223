#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Export a trained model folder to one ONNX file for ONNX Runtime (and, with --quantize int8, an int8 copy).

    python scripts/export_onnx.py --model outputs/synthetic --output outputs/synthetic.onnx --attentions
    python scripts/export_onnx.py --model outputs/synthetic --output outputs/synthetic.onnx --attentions \\
        --quantize int8 --dataset_name synthetic     # + accuracy of fp32 and int8 on the validation split

Input `pixel_values` (batch, 3, size, size) at the saved image size, any batch; outputs `logits` and, with
--attentions, `attention_maps` (batch, queries, H, W): the head-averaged attention on the token grid that the
pictures draw. Labels, thresholds and preprocessing go into the file's metadata, so the file alone is a --model for
scripts/predict.py and app.py. The export is checked with onnx.checker and against PyTorch on batches of 1 and 3.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from face_attributes.onnx_export import PARITY_TOLERANCE, export_onnx, quantize_int8  # noqa: E402
from face_attributes.onnx_model import OnnxClassifier  # noqa: E402


def validation_accuracy(model_paths: dict[str, str], dataset_name: str, dataset_config_name: str | None,
                        data_dir: str | None, max_samples: int | None) -> dict[str, float]:  # fmt: skip
    """Mean accuracy over the attributes at 0.5 on the validation split, for each exported file."""
    from face_attributes.data import load_source, normalize_labels

    runners = {name: OnnxClassifier(path) for name, path in model_paths.items()}
    first = next(iter(runners.values()))
    label_names = [first.config.id2label[i] for i in range(first.config.num_labels)]
    dataset = load_source(dataset_name=dataset_name, dataset_config_name=dataset_config_name, data_dir=data_dir)
    split = normalize_labels(dataset, label_names)["validation"]
    if max_samples:
        split = split.select(range(min(max_samples, len(split))))
    processor = first.image_processor()
    labels = np.stack([np.asarray(split[name]) for name in label_names], 1)
    correct = {name: 0 for name in runners}
    for start in range(0, len(split), 64):
        rows = split[start : start + 64]
        pixel_values = processor(rows["image"], return_tensors="pt")["pixel_values"]
        for name, runner in runners.items():
            predicted = runner(pixel_values).logits.numpy() >= 0  # probability ≥ 0.5
            correct[name] += int((predicted == labels[start : start + 64].astype(bool)).sum())
    return {name: hits / labels.size for name, hits in correct.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="A folder written by run_classification.py.")
    parser.add_argument("--output", required=True, help="The .onnx file to write.")
    parser.add_argument("--attentions", action="store_true", help="Also output the attention maps.")
    parser.add_argument("--quantize", choices=["int8"], help="Also write an int8 copy (OUTPUT with .int8.onnx).")
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument("--dataset_name", help="Report validation accuracy of each file on this data (e.g. synthetic).")
    parser.add_argument("--dataset_config_name")
    parser.add_argument("--data_dir")
    parser.add_argument("--max_eval_samples", type=int)
    args = parser.parse_args(argv)
    if not args.output.lower().endswith(".onnx"):
        parser.error(f"--output {args.output}: the file name must end in .onnx")

    differences = export_onnx(args.model, args.output, attentions=args.attentions, opset=args.opset)
    print(f"Wrote {args.output}: onnx.checker passed; max |ONNX Runtime − PyTorch| on batches of 1 and 3: "
          + ", ".join(f"{name} {value:.1e}" for name, value in differences.items()) + f" (≤ {PARITY_TOLERANCE})")
    files = {"fp32": args.output}
    if args.quantize:
        files["int8"] = args.output[: -len(".onnx")] + ".int8.onnx"
        quantize_int8(args.output, files["int8"])
        print(f"Wrote {files['int8']} (dynamic int8 weights)")
    if args.dataset_name or args.data_dir:
        accuracy = validation_accuracy(files, args.dataset_name, args.dataset_config_name, args.data_dir,
                                       args.max_eval_samples)  # fmt: skip
        print("\n| file | validation mean accuracy |\n|---|---|")
        for name, value in accuracy.items():
            print(f"| {name} ({files[name]}) | {100 * value:.2f} % |")


if __name__ == "__main__":
    main()
