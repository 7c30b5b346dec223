#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Paired comparison of two trained runs on the same test images, with intervals, and the majority baseline.

    python scripts/compare_runs.py --data_dir celeba --baseline outputs/plain/seed0 --runs outputs/default/seed0

Each run folder holds the `predictions.csv` that `run_classification.py --do_predict` writes (decisions at 0.5).
The labels come from the same data flags as training. Per attribute: both accuracies and their difference with a
95 % interval for paired proportions (from the discordant pairs, as McNemar's test counts them); for the mean over
attributes: a 95 % bootstrap interval over test images (2,000 resamples, seed 0: the same numbers every run).
With `--group_columns Male`, per attribute also the accuracy of each cell (the groups crossed with the attribute's
own value: Sagawa et al.'s groups, blond/not × male/female for Blond_Hair) with the same paired interval, and the
worst cell of each run:

    python scripts/compare_runs.py --data_dir celeba --baseline outputs/blond-male/erm/seed1 \
        --runs outputs/blond-male/balanced/seed1 --group_columns Male
"""

import argparse
import csv
import os
import warnings
from pathlib import Path

import numpy as np

BOOTSTRAP_SAMPLES = 2000


def read_predictions(run_dir: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(file names, attribute names, 0/1 decisions (N, L)) from a run's predictions.csv."""
    with open(run_dir / "predictions.csv", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    attributes = [name for name in header[1:] if not name.endswith("_probability")]
    columns = [header.index(name) for name in attributes]
    decisions = np.array([[int(row[c]) for c in columns] for row in rows[1:]], dtype=np.int8)
    return [row[0] for row in rows[1:]], attributes, decisions


def split_labels(args, split: str, attributes: list[str]) -> tuple[list[str], np.ndarray]:
    """(file names, 0/1 labels (N, L)) of a split, loaded as run_classification.py loads it."""
    from datasets import Image as ImageFeature

    from face_attributes.data.labels import normalize_labels
    from face_attributes.data.sources import load_source

    dataset = normalize_labels(load_source(args.dataset_name, data_dir=args.data_dir), attributes)[split]
    names = [
        os.path.basename(item["path"] or "")
        for item in dataset.cast_column("image", ImageFeature(decode=False))["image"]
    ]
    return names, np.stack([np.asarray(dataset[a], dtype=np.int8) for a in attributes], axis=1)  # (N, L)


def paired_interval(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[float, float, int, int]:
    """(difference of accuracies b − a, 95 % half-width, a-only correct, b-only correct) for paired 0/1 outcomes."""
    n = len(correct_a)
    a_only, b_only = int((correct_a & ~correct_b).sum()), int((correct_b & ~correct_a).sum())
    difference = (b_only - a_only) / n
    variance = ((a_only + b_only) - (b_only - a_only) ** 2 / n) / n**2
    return difference, 1.96 * float(np.sqrt(max(variance, 0.0))), a_only, b_only


def bootstrap_mean_difference(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[float, float, float]:
    """(mean accuracy difference b − a over attributes, 2.5 % and 97.5 % bootstrap quantiles over images)."""
    per_image = correct_b.mean(axis=1) - correct_a.mean(axis=1)  # (N,)
    rng = np.random.default_rng(0)
    samples = rng.integers(0, len(per_image), size=(BOOTSTRAP_SAMPLES, len(per_image)))
    means = per_image[samples].mean(axis=1)
    return float(per_image.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def compare(
    labels: np.ndarray, baseline: np.ndarray, run: np.ndarray, attributes: list[str], majority: np.ndarray
) -> tuple[str, dict]:
    """Markdown table (mean, then each attribute, beside the majority-class accuracy) and the numbers, for one run
    against the baseline."""
    correct_a, correct_b = baseline == labels, run == labels
    mean, low, high = bootstrap_mean_difference(correct_a, correct_b)
    summary = {
        "baseline_accuracy": float(correct_a.mean()),
        "accuracy": float(correct_b.mean()),
        "difference": mean,
        "interval": [low, high],
        "attributes": {},
    }
    lines = [
        "| attribute | majority class | baseline | run | run − baseline (95 % interval) | "
        "only baseline right / only run right |",
        "|---|---|---|---|---|---|",
        f"| **mean of {len(attributes)}** | {majority.mean():.2%} | {correct_a.mean():.2%} | {correct_b.mean():.2%} | "
        f"{mean:+.2%} ({low:+.2%} to {high:+.2%}, bootstrap) | |",
    ]
    for i, name in enumerate(attributes):
        difference, half, a_only, b_only = paired_interval(correct_a[:, i], correct_b[:, i])
        summary["attributes"][name] = {"difference": difference, "half_width": half}
        lines.append(
            f"| {name} | {majority[i]:.2%} | {correct_a[:, i].mean():.2%} | {correct_b[:, i].mean():.2%} "
            f"| {difference:+.2%} "
            f"(± {half:.2%}) | {a_only} / {b_only} |"
        )
    return "\n".join(lines), summary


def cell_table(
    name: str, labels: np.ndarray, correct_a: np.ndarray, correct_b: np.ndarray, groups: np.ndarray, columns: list[str]
) -> tuple[str, dict]:
    """Markdown table and numbers of one attribute's cells: its 0/1 labels (N,), both runs' correctness (N,) and
    the group columns' values (N, G)."""
    keys = np.concatenate([groups, labels[:, None]], axis=1)  # (N, G + 1): a cell is one row of values
    lines = [
        f"| cell ({' × '.join([*columns, name])}) | images | baseline | run | run − baseline (95 % interval) |",
        "|---|---|---|---|---|",
    ]
    cells = {}
    for key in sorted({tuple(int(v) for v in row) for row in keys}):
        chosen = (keys == key).all(axis=1)
        cell = " ".join(f"{c}={v}" for c, v in zip([*columns, name], key))
        difference, half, _, _ = paired_interval(correct_a[chosen], correct_b[chosen])
        accuracies = float(correct_a[chosen].mean()), float(correct_b[chosen].mean())
        cells[cell] = {"images": int(chosen.sum()), "baseline": accuracies[0], "run": accuracies[1]}
        cells[cell].update(difference=difference, half_width=half)
        shown = f"{accuracies[0]:.2%} | {accuracies[1]:.2%} | {difference:+.2%} (± {half:.2%})"
        lines.append(f"| {cell} | {chosen.sum()} | {shown} |")
    worst = {who: min(cells, key=lambda c: cells[c][who]) for who in ("baseline", "run")}
    lines.append(
        f"\nWorst cell: baseline {cells[worst['baseline']]['baseline']:.2%} ({worst['baseline']}), "
        f"run {cells[worst['run']]['run']:.2%} ({worst['run']}); average accuracy baseline {correct_a.mean():.2%}, "
        f"run {correct_b.mean():.2%}."
    )
    return "\n".join(lines), {"cells": cells, "worst": worst}


def equalized_odds_gaps(decisions: np.ndarray, labels: np.ndarray, groups: np.ndarray, weights: np.ndarray):
    """Each attribute's equalized-odds gap (the largest difference between groups in TPR or FPR; a rate a group cannot
    have is left out, as group_metrics does) under each weighting of the images: 0/1 decisions and labels (N, L), group
    values (N, G), weights (B, N) (a row of ones: the images themselves; bootstrap counts: a resample). → (B, L)."""
    from face_attributes.training.group_sampling import group_ids

    ids = group_ids(groups)  # (N,): one integer per group
    tprs, fprs = [], []
    for group in np.unique(ids):
        member = (ids == group)[:, None]  # (N, 1)
        counts = [weights @ (member * x) for x in (labels, labels * decisions, 1 - labels, (1 - labels) * decisions)]
        positives, true_positives, negatives, false_positives = counts  # each (B, L)
        with np.errstate(invalid="ignore", divide="ignore"):
            tprs.append(np.where(positives > 0, true_positives / positives, np.nan))
            fprs.append(np.where(negatives > 0, false_positives / negatives, np.nan))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an attribute no group has positives of: NaN, as intended
        spread = [np.nanmax(r, axis=0) - np.nanmin(r, axis=0) for r in (np.stack(tprs), np.stack(fprs))]
    return np.fmax(*spread)  # (B, L)


def gap_table(labels, baseline, run, groups, targets: list[str], attributes: list[str], top: int = 10):
    """Markdown table and numbers: the equalized-odds gaps of both runs, the `top` largest (by the larger of the two)
    and the mean over `targets`, each difference with a 95 % bootstrap interval over images (resampled together)."""
    columns = [attributes.index(name) for name in targets]
    rng = np.random.default_rng(0)
    samples = rng.integers(0, len(labels), size=(BOOTSTRAP_SAMPLES, len(labels)))
    weights = np.stack([np.ones(len(labels)), *(np.bincount(s, minlength=len(labels)) for s in samples)])  # (1+B, N)
    gaps = [equalized_odds_gaps(d[:, columns], labels[:, columns], groups, weights) for d in (baseline, run)]
    difference = gaps[1] - gaps[0]  # (1+B, L'): row 0 the images themselves
    low, high = np.nanquantile(difference[1:], [0.025, 0.975], axis=0)
    mean = np.nanmean(difference, axis=1)  # (1+B,)
    numbers = {
        n: {"baseline": gaps[0][0, i], "run": gaps[1][0, i], "interval": [low[i], high[i]]}
        for i, n in enumerate(targets)
    }
    numbers["mean"] = {
        "baseline": np.nanmean(gaps[0][0]),
        "run": np.nanmean(gaps[1][0]),
        "interval": list(np.nanquantile(mean[1:], [0.025, 0.975])),
    }
    order = sorted(targets, key=lambda n: -max(numbers[n]["baseline"], numbers[n]["run"]))[:top]
    lines = ["| attribute | baseline | run | run − baseline (95 % bootstrap interval) |", "|---|---|---|---|"]
    for name in ["mean", *order]:
        row = numbers[name]
        shown = f"**mean of {len(targets)}**" if name == "mean" else name
        lines.append(
            f"| {shown} | {row['baseline']:.3f} | {row['run']:.3f} | {row['run'] - row['baseline']:+.3f} "
            f"({row['interval'][0]:+.3f} to {row['interval'][1]:+.3f}) |"
        )
    return "\n".join(lines), {n: {k: np.asarray(v).tolist() for k, v in row.items()} for n, row in numbers.items()}


def group_sections(labels, baseline, run, groups, columns, targets, attributes, name) -> tuple[list[str], dict]:
    """The group comparison of one run: the equalized-odds gaps of all targets, then each target's cells."""
    table, gaps = gap_table(labels, baseline, run, groups, targets, attributes)
    sections = [f"#### Equalized-odds gaps between the groups of {' × '.join(columns)}, {name}\n\n{table}"]
    cells = {}
    for target in targets:
        i = attributes.index(target)
        correct = (baseline[:, i] == labels[:, i]), (run[:, i] == labels[:, i])
        text, cells[target] = cell_table(target, labels[:, i], *correct, groups, columns)
        sections.append(f"#### {target} by cell, {name}\n\n{text}")
    return sections, {"equalized_odds_gaps": gaps, "cells": cells}


def majority_baseline(train_labels: np.ndarray, test_labels: np.ndarray) -> np.ndarray:
    """Per attribute, the test accuracy of always answering the train split's majority class."""
    majority = (train_labels.mean(axis=0) >= 0.5).astype(np.int8)
    return (test_labels == majority).mean(axis=0)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="Run folder every other run is compared with.")
    parser.add_argument("--runs", nargs="+", required=True, help="Run folders to compare with the baseline.")
    parser.add_argument("--data_dir", help="The data the runs were trained on (as for run_classification.py).")
    parser.add_argument("--dataset_name", default=None, help="Or a dataset name (see run_classification.py).")
    parser.add_argument("--split", default="test")
    parser.add_argument("--output", help="Markdown file for the tables.")
    parser.add_argument("--group_columns", nargs="*", default=[], help="Label columns whose groups to compare in.")
    args = parser.parse_args(argv)

    files, attributes, baseline = read_predictions(Path(args.baseline))
    targets = [a for a in attributes if a not in args.group_columns]
    names, labels = split_labels(args, args.split, [*attributes, *args.group_columns])
    labels, groups = labels[:, : len(attributes)], labels[:, len(attributes) :]  # (N, L), (N, G)
    row_of = {name: i for i, name in enumerate(names)}
    missing = [f for f in files if f not in row_of]
    if missing:
        raise SystemExit(
            f"{len(missing)} predicted files are not in the {args.split} split (first: {missing[0]}): "
            "pass the data the runs were trained on."
        )
    rows = [row_of[f] for f in files]
    labels, groups = labels[rows], groups[rows]
    _, train_labels = split_labels(args, "train", attributes)
    majority = majority_baseline(train_labels, labels)
    sections = [
        f"Majority class of train, on these {len(files)} {args.split} images: mean {majority.mean():.2%}"
        + (f", Male {majority[attributes.index('Male')]:.2%}" if "Male" in attributes else "")
        + "."
    ]
    results = {"majority": dict(zip(attributes, majority.tolist()))}
    for run in args.runs:
        run_files, run_attributes, decisions = read_predictions(Path(run))
        if run_files != files or run_attributes != attributes:
            raise SystemExit(
                f"{run} predicted other files or attributes than {args.baseline}: not a paired comparison."
            )
        table, results[run] = compare(labels, baseline, decisions, attributes, majority)
        sections.append(f"### {run} against {args.baseline}\n\n{table}")
        if args.group_columns:
            name = f"{run} against {args.baseline}"
            more, results[run]["groups"] = group_sections(
                labels, baseline, decisions, groups, args.group_columns, targets, attributes, name
            )
            sections += more
    text = "\n\n".join(sections) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)
    return results


if __name__ == "__main__":
    main()
