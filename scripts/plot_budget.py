#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The budget curve: test accuracy against training wall-clock, per model, from finished CPU-recipe runs.

    python scripts/plot_budget.py outputs/celeba-1ep outputs/celeba-2ep outputs/celeba-4ep --seed 0 \\
        --output docs/celeba_budget.png --anchor 90.32 97.10

Each folder is a scripts/train_celeba_cpu.sh output (MODEL/seedN/ inside, e.g. plain/seed0, bilstm-queries/seed0);
a run counts once it has all_results.json. Prints a markdown table (a row per run) and writes the plot: a line per
model and image size.
"""

import argparse
import json
from pathlib import Path

from face_attributes.visualize import plot_budget

MODEL_NAMES = {"plain": "plain ResNet-18", "bilstm-queries": "default (BiLSTM + attribute queries)"}


def budget_points(folders: list[str], seed: int) -> list[dict]:
    points = []
    for folder in folders:
        for run in sorted(Path(folder).glob(f"*/seed{seed}")):
            results_path = run / "all_results.json"
            if not results_path.exists():
                continue
            results = json.loads(results_path.read_text())
            size = json.loads((run / "config.json").read_text())["image_size"]
            points.append(
                {
                    "model": MODEL_NAMES.get(run.parent.name, run.parent.name),
                    "image size": size,
                    "label": f"{round(results['epoch'], 2):g} ep, {size} px",  # a MAX_STEPS run ends mid-epoch: 0.26 ep
                    "minutes": results["train_runtime"] / 60,
                    "images/s": results["train_samples_per_second"],
                    "mean test accuracy": 100 * results["test_accuracy"],
                    "Male test accuracy": 100 * results["test_accuracy_Male"],
                    "run": str(run),
                }
            )
    return points


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", help="scripts/train_celeba_cpu.sh output folders.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="budget.png", help="PNG to write.")
    parser.add_argument(
        "--anchor", type=float, nargs=2, metavar=("MEAN", "MALE"), help="Reference accuracies (%%), drawn dashed."
    )
    args = parser.parse_args(argv)
    points = budget_points(args.folders, args.seed)
    if not points:
        parser.error(f"no finished run of seed {args.seed} in {args.folders}")
    print("| model | budget | training minutes | images/s | mean test accuracy | Male test accuracy |")
    print("|---|---|---|---|---|---|")
    for p in sorted(points, key=lambda p: (p["model"], p["minutes"])):
        print(
            f"| {p['model']} | {p['label']} | {p['minutes']:.1f} | {p['images/s']:.1f} | "
            f"{p['mean test accuracy']:.2f} % | {p['Male test accuracy']:.2f} % |"
        )
    anchor = dict(zip(("mean test accuracy", "Male test accuracy"), args.anchor)) if args.anchor else None
    plot_budget([{k: v for k, v in p.items() if k not in ("run", "images/s")} for p in points], args.output, anchor)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
