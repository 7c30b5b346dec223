"""Predictions as CSV: file name, a probability per attribute, and 0/1 at a threshold."""

import csv
import json
import os

import numpy as np

THRESHOLDS_FILE = "thresholds.json"


def load_thresholds(model_dir: str, label_names: list[str], threshold: str | float = 0.5) -> np.ndarray:
    """A float → that cut for every attribute; "saved" → the per-attribute cuts in thresholds.json."""
    if threshold != "saved":
        return np.full(len(label_names), float(threshold))
    path = os.path.join(model_dir, THRESHOLDS_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: train with run_classification.py --do_eval, or pass a number.")
    with open(path) as f:
        saved = json.load(f)
    missing = [name for name in label_names if name not in saved]
    if missing:
        raise ValueError(f"{path} has no threshold for {missing}.")
    return np.array([saved[name] for name in label_names], dtype=np.float64)


def save_thresholds(model_dir: str, label_names: list[str], thresholds: np.ndarray) -> None:
    with open(os.path.join(model_dir, THRESHOLDS_FILE), "w") as f:
        json.dump({name: float(t) for name, t in zip(label_names, thresholds)}, f, indent=2)


def write_predictions_csv(
    path: str, names: list[str], probabilities: np.ndarray, label_names: list[str], thresholds: np.ndarray
) -> None:
    """Columns: file, <attr>_probability for each attribute, then <attr> as 0/1."""
    predicted = (probabilities >= thresholds).astype(int)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", *(f"{name}_probability" for name in label_names), *label_names])
        for name, row, decided in zip(names, probabilities, predicted):
            writer.writerow([name, *(f"{p:.6f}" for p in row), *decided])
