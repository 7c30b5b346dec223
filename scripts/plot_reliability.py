#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Reliability diagrams: a run's `<split>_reliability.json` (written by run_classification.py's evaluation and
prediction) → PNG, one panel per attribute, with each attribute's expected calibration error.

python scripts/plot_reliability.py outputs/synthetic --split test --attributes Male Smiling Eyeglasses

A run with `--calibrate temperature` also wrote `<split>_calibrated_reliability.json`: its points are drawn over the
others (before and after temperature scaling), unless --no_calibrated.
"""

import argparse
import json
import os

from face_attributes.visualize import plot_reliability


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="A run_classification.py output folder.")
    parser.add_argument("--split", default="test", choices=("eval", "test"), help="Which split's bins to draw.")
    parser.add_argument("--attributes", nargs="+", help="Attributes to draw (default: every attribute).")
    parser.add_argument("--output", help="PNG to write (default: <split>_reliability.png in the run folder).")
    parser.add_argument("--no_calibrated", action="store_true", help="Leave out the points after temperature scaling.")
    args = parser.parse_args(argv)
    path = os.path.join(args.run, f"{args.split}_reliability.json")
    if not os.path.exists(path):
        parser.error(f"{path} not found: run run_classification.py with --do_eval (eval) or --do_predict (test).")
    with open(path) as f:
        reliability = json.load(f)
    unknown = [name for name in args.attributes or [] if name not in reliability]
    if unknown:
        parser.error(f"{unknown} not in {path}; it has {list(reliability)}.")
    calibrated_path = os.path.join(args.run, f"{args.split}_calibrated_reliability.json")
    calibrated = None
    if os.path.exists(calibrated_path) and not args.no_calibrated:
        with open(calibrated_path) as f:
            calibrated = json.load(f)
    output = args.output or os.path.join(args.run, f"{args.split}_reliability.png")
    plotted = plot_reliability(reliability, args.attributes or list(reliability), output, calibrated)
    print(f"Wrote {output} ({len(plotted)} attributes)")
    return plotted


if __name__ == "__main__":
    main()
