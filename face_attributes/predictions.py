# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
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


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def expand_inputs(inputs: list[str]) -> list[str]:
    """Files, folders (their images, sorted) and glob patterns → a list of file paths."""
    import glob

    paths = []
    for item in inputs:
        if os.path.isdir(item):
            paths += sorted(os.path.join(item, n) for n in os.listdir(item) if n.lower().endswith(IMAGE_SUFFIXES))
        elif any(c in item for c in "*?["):
            paths += sorted(glob.glob(item, recursive=True))
        else:
            paths.append(item)
    return paths


def predict_files(
    model_dir: str, inputs: list[str], output_csv: str, batch_size: int = 32, threshold: str | float = 0.5,
    device: str | None = None,
) -> tuple[int, list[tuple[str, str]]]:  # fmt: skip
    """Probabilities for every readable image → CSV; returns (rows written, [(unreadable file, reason)])."""
    import torch
    from PIL import Image
    from tqdm.auto import tqdm
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    from .images import to_rgb

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = AutoModelForImageClassification.from_pretrained(model_dir, trust_remote_code=True).to(device).eval()
    processor = AutoImageProcessor.from_pretrained(model_dir)
    label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    thresholds = load_thresholds(model_dir, label_names, threshold)
    paths = expand_inputs(inputs)
    names, probabilities, unreadable = [], [], []
    for start in tqdm(range(0, len(paths), batch_size), desc="Predicting", unit="batch"):
        images = []
        for path in paths[start : start + batch_size]:
            try:
                with Image.open(path) as image:
                    images.append(to_rgb(image).copy())  # copy: decode now, while the file is open
                names.append(os.path.basename(path))
            except (OSError, ValueError, SyntaxError) as error:
                unreadable.append((path, f"{type(error).__name__}: {error}"))
        if not images:
            continue
        pixel_values = processor(images, return_tensors="pt")["pixel_values"].to(device)
        with torch.no_grad():
            probabilities.append(torch.sigmoid(model(pixel_values).logits.float()).cpu().numpy())
    table = np.concatenate(probabilities) if probabilities else np.zeros((0, len(label_names)))
    write_predictions_csv(output_csv, names, table, label_names, thresholds)
    return len(names), unreadable
