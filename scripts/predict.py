#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Predict attributes for your own photos → CSV (file, probability per attribute, 0/1 per attribute).

    python scripts/predict.py --model outputs/synthetic --inputs photos/ "more/*.jpg" --output predictions.csv
    python scripts/predict.py --model outputs/synthetic --inputs photos/ --threshold saved   # thresholds.json
"""

import argparse
import logging

from face_attributes.predictions import predict_files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="A folder written by run_classification.py (or a Hub id).")
    parser.add_argument("--inputs", nargs="+", required=True, help="Image files, folders or glob patterns.")
    parser.add_argument("--output", default="predictions.csv", help="CSV to write.")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--threshold", default="0.5",
                        help="A probability, or 'saved' for the per-attribute thresholds chosen on validation.")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 … (default: cuda when available)")
    args = parser.parse_args(argv)
    threshold = args.threshold if args.threshold == "saved" else float(args.threshold)
    written, unreadable = predict_files(args.model, args.inputs, args.output, args.batch_size, threshold, args.device)
    for path, reason in unreadable:
        logging.warning("Skipped unreadable %s (%s)", path, reason)
    print(f"Wrote {written} row(s) to {args.output}; skipped {len(unreadable)} unreadable file(s).")


if __name__ == "__main__":
    main()
