# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Who the model fails: per attribute and group (`--group_columns`), through fairlearn's `MetricFrame`.

A group is one combination of the group columns' values ("Male=1 Young=0"). Per attribute and group: the count,
accuracy, true and false positive rates and the positive rate (decisions at 0.5). Per attribute: the largest gap
between groups in TPR or FPR (the equalized-odds gap, as `fairlearn.metrics.equalized_odds_difference` defines it),
in positive rate (the demographic-parity gap), the worst group's accuracy, and the worst accuracy over the groups
crossed with the attribute's own value (Sagawa et al. 2020's groups: for Blond_Hair × Male, blond/not ×
male/female). A rate a group cannot have (TPR without positives) is left out of the gaps, not counted as 0.
"""

import csv
import itertools
import json
import logging
import os

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import accuracy_score

logger = logging.getLogger(__name__)

# Per attribute, written to all_results.json (the mean over attributes) and read by the model card.
SUMMARY_NAMES = ("equalized_odds_gap", "demographic_parity_gap", "worst_group_accuracy", "worst_cell_accuracy")
ROW_FIELDS = ("attribute", "group", "count", "accuracy", "true_positive_rate", "false_positive_rate", "positive_rate")


def _defined_if(has_class: int, rate):
    """A rate that is undefined (NaN) for a group with none of `has_class` in its labels, instead of fairlearn's 0."""

    def metric(y_true, y_pred):
        return rate(y_true, y_pred) if (np.asarray(y_true) == has_class).any() else float("nan")

    return metric


GROUP_METRICS = {
    "count": count,
    "accuracy": accuracy_score,
    "true_positive_rate": _defined_if(1, true_positive_rate),
    "false_positive_rate": _defined_if(0, false_positive_rate),
    "positive_rate": selection_rate,
}


def check_group_columns(group_columns: list[str], columns: list[str]) -> None:
    """A clear error for a group column the data does not have."""
    unknown = [name for name in group_columns if name not in columns]
    if unknown:
        available = [c for c in columns if c != "image"]
        raise ValueError(f"--group_columns {unknown} not in the dataset; choose among its columns: {available}.")


def group_frame(group_values: np.ndarray, group_columns: list[str]) -> pd.DataFrame:
    """One column per group column, 0/1 as integers: MetricFrame's sensitive features."""
    return pd.DataFrame({name: group_values[:, i].astype(int) for i, name in enumerate(group_columns)})


def group_name(key, group_columns: list[str]) -> str:
    values = key if isinstance(key, tuple) else (key,)
    return " ".join(f"{name}={int(value)}" for name, value in zip(group_columns, values))


def warn_missing_groups(groups: pd.DataFrame, group_columns: list[str], split: str) -> None:
    """Every combination of the group columns' values that has no example in this split, named in one warning."""
    present = {tuple(row) for row in groups.itertuples(index=False)}
    missing = sorted(set(itertools.product((0, 1), repeat=len(group_columns))) - present)
    if missing:
        names = [group_name(key if len(key) > 1 else key[0], group_columns) for key in missing]
        logger.warning("%s split: no example in group(s) %s; their metrics are left out.", split, names)


def attribute_group_metrics(y_true: np.ndarray, y_pred: np.ndarray, groups: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """(metrics by group, this attribute's summary) for one attribute's 0/1 labels and decisions."""
    by_group = MetricFrame(metrics=GROUP_METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=groups).by_group
    # The groups crossed with the attribute's own value: Sagawa et al.'s groups for worst-group accuracy.
    cells = groups.assign(label=y_true.astype(int))
    by_cell = MetricFrame(metrics=accuracy_score, y_true=y_true, y_pred=y_pred, sensitive_features=cells).by_group
    spread = by_group.max() - by_group.min()  # NaN rates skipped: a group without positives has no TPR
    summary = {
        "equalized_odds_gap": float(np.nanmax([spread["true_positive_rate"], spread["false_positive_rate"]])),
        "demographic_parity_gap": float(spread["positive_rate"]),
        "worst_group_accuracy": float(by_group["accuracy"].min()),
        "worst_cell_accuracy": float(by_cell.min()),
    }
    return by_group, summary


def group_metric_table(
    decisions: np.ndarray,
    labels: np.ndarray,
    group_values: np.ndarray,
    label_names: list[str],
    group_columns: list[str],
    split: str = "evaluation",
) -> tuple[list[dict], dict[str, dict]]:
    """(one row per attribute and group, {attribute: summary}) for decisions and labels (N, L) and group values
    (N, G). An attribute that is itself a group column is skipped with a warning: its groups are its own label."""
    groups = group_frame(group_values, group_columns)
    warn_missing_groups(groups, group_columns, split)
    own = [name for name in label_names if name in group_columns]
    if own:
        logger.warning("%s: also group columns, so no group metrics for them (each group is one label value).", own)
    rows, summaries = [], {}
    for index, name in enumerate(label_names):
        if name in own:
            continue
        by_group, summaries[name] = attribute_group_metrics(labels[:, index], decisions[:, index], groups)
        for key, metrics in by_group.iterrows():
            rows.append({"attribute": name, "group": group_name(key, group_columns), **metrics.to_dict()})
    return rows, summaries


def summary_metrics(summaries: dict[str, dict], prefix: str) -> dict[str, float]:
    """`<prefix>_<summary>` (the mean over attributes) and `<prefix>_<summary>_<attribute>`, for all_results.json."""
    metrics = {}
    for summary in SUMMARY_NAMES:
        values = {name: s[summary] for name, s in summaries.items()}
        metrics[f"{prefix}_{summary}"] = float(np.nanmean(list(values.values()))) if values else float("nan")
        metrics.update({f"{prefix}_{summary}_{name}": value for name, value in values.items()})
    return metrics


def write_group_tables(output_dir: str, prefix: str, rows: list[dict]) -> None:
    """`<prefix>_group_metrics.json/.csv`: one row per attribute and group."""
    with open(os.path.join(output_dir, f"{prefix}_group_metrics.json"), "w") as f:
        json.dump(rows, f, indent=2)
    with open(os.path.join(output_dir, f"{prefix}_group_metrics.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=ROW_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
