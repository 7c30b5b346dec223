#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""One scoreboard for the map designs: accuracy against the plain ResNet-18 beside how local and specific the maps are.

    python scripts/map_scoreboard.py --data_dir /data/celeba --baseline outputs/celeba-cpu/plain/seed0 \\
        --entry "default=outputs/celeba-cpu/bilstm-queries/seed0:maps/default-s0.json" \\
        --entry "plain, Grad-CAM layer3=outputs/celeba-cpu/plain/seed0:maps/plain-gradcam3-s0.json"

Each entry is NAME=RUN_DIR:SCORES, a run folder of run_classification.py (its predictions.csv on the test split) and
the JSON that `scripts/attention_maps.py --score --deletion --correlates --score_output` wrote for it. Per row: mean
test accuracy and its difference from the baseline (95 % bootstrap interval over images, as compare_runs.py), how
many of the scored attributes reach the pointing game target, the median energy ÷ area, and how many are specific:
hiding the map's top 10 % moves the attribute at least 2× more than both controls that never hide its evidence (the
same mask moved; the other attribute's top 10 % outside this region), overall and within both values of its most
correlated label.
"""

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_runs import bootstrap_mean_difference, read_predictions, split_labels  # noqa: E402

from face_attributes.interpretability import POINTING_TARGET, effect_ratio  # noqa: E402

SPECIFIC = 2.0  # the map's effect over the larger control


def map_counts(scores: dict) -> dict:
    """Pointing, energy and specificity counts from one attention_maps.py --score JSON."""
    regions, deletion = scores["regions"], scores.get("deletion", {})
    conditioned = [c["conditioned"] for c in deletion.values() if "conditioned" in c]
    return {
        "attributes": len(regions),
        "pointing": sum(r["pointing_game"] >= POINTING_TARGET for r in regions.values()),
        "energy": float(np.median([r["energy"] / r["area_share"] for r in regions.values()])),
        "specific": sum(effect_ratio(c) >= SPECIFIC for c in deletion.values()) if deletion else None,
        "specific_conditioned": (
            sum(min(effect_ratio(s["0"]), effect_ratio(s["1"])) >= SPECIFIC for s in conditioned)
            if conditioned
            else None
        ),
    }


def scoreboard(data_dir: str, baseline: Path, entries: list[tuple[str, Path, Path]]) -> str:
    import json

    names, attributes, base_decisions = read_predictions(baseline)
    label_names, labels = split_labels(SimpleNamespace(dataset_name=None, data_dir=data_dir), "test", attributes)
    order = [label_names.index(n) for n in names]
    labels = labels[order]  # (N, L) in the predictions' row order
    base_correct = base_decisions == labels
    lines = [
        "| design | test mean | − plain (95 % interval) | pointing ≥ 0.8 | energy ÷ area (median) | specific "
        "(≥ 2× both controls) | specific within both values of its correlate |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, run_dir, scores_path in entries:
        run_names, _, decisions = read_predictions(run_dir)
        if run_names != names:
            raise ValueError(f"{run_dir} predicted other test images than {baseline}: compare runs of one split.")
        mean, low, high = bootstrap_mean_difference(base_correct, decisions == labels)
        counts = map_counts(json.loads(Path(scores_path).read_text()))
        total = counts["attributes"]

        def of(value):
            return "–" if value is None else f"{value} of {total}"

        lines.append(
            f"| {name} | {(decisions == labels).mean():.2%} | {mean:+.2%} ({low:+.2%} to {high:+.2%}) | "
            f"{of(counts['pointing'])} | {counts['energy']:.1f}× | {of(counts['specific'])} | "
            f"{of(counts['specific_conditioned'])} |"
        )
    return "\n".join(lines)


def per_attribute_table(entries: list[tuple[str, Path, Path]]) -> str:
    """Per attribute and design: pointing game / effect over the larger control (conditioned: the smaller stratum's)."""
    import json

    scores = {name: json.loads(Path(path).read_text()) for name, _, path in entries}
    attributes = list(next(iter(scores.values()))["regions"])
    lines = ["| attribute | " + " | ".join(scores) + " |", "|---|" + "---|" * len(scores)]
    for attribute in attributes:
        cells = []
        for result in scores.values():
            pointing = result["regions"][attribute]["pointing_game"]
            deletion = result.get("deletion", {}).get(attribute)
            cell = f"{pointing:.2f}"
            if deletion:
                cell += f" / {effect_ratio(deletion):.1f}×"
                if "conditioned" in deletion:
                    strata = deletion["conditioned"]
                    cell += f" ({min(effect_ratio(strata['0']), effect_ratio(strata['1'])):.1f}×)"
            cells.append(cell)
        lines.append(f"| {attribute} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", required=True, help="The CelebA folder the runs were tested on.")
    parser.add_argument("--baseline", required=True, type=Path, help="The plain ResNet-18's run folder.")
    parser.add_argument("--entry", action="append", required=True, help="NAME=RUN_DIR:SCORES_JSON (repeat).")
    parser.add_argument("--per_attribute", action="store_true", help="Also a table per attribute and design.")
    args = parser.parse_args(argv)
    entries = []
    for text in args.entry:
        name, _, paths = text.partition("=")
        run_dir, _, scores = paths.rpartition(":")
        if not (name and run_dir and scores):
            parser.error(f"--entry {text!r}: expected NAME=RUN_DIR:SCORES_JSON")
        entries.append((name, Path(run_dir), Path(scores)))
    table = scoreboard(args.data_dir, args.baseline, entries)
    if args.per_attribute:
        table += "\n\nPer attribute: pointing game / effect ÷ larger control (within the correlate's worse value)\n\n"
        table += per_attribute_table(entries)
    print(table)
    return table


if __name__ == "__main__":
    main()
