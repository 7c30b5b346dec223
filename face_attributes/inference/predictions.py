# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Predictions as CSV: a probability per attribute and 0/1 at a threshold, for a test split or per face of photos."""

import csv
import os
from pathlib import Path

import numpy as np

from ..data.images import UNREADABLE_IMAGE_ERRORS, open_rgb
from .drawing import draw_faces


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


FACE_COLUMNS = ["file", "face", "x0", "y0", "x1", "y1", "detection_score"]


def _output_path(root: str, path: str, suffix: str) -> Path:
    """root/<path as given, without drive, root or '..'><suffix>: a/1.jpg and b/1.jpg stay apart."""
    parts = [part for part in Path(path).with_suffix("").parts if part not in (Path(path).anchor, "..", ".")]
    target = Path(root, *parts)
    return target.with_name(target.name + suffix)


def predict_files(
    model_dir: str,
    inputs: list[str],
    output_csv: str,
    batch_size: int = 32,
    threshold: str | float = 0.5,
    device: str | None = None,
    faces: str = "auto",
    save_faces: str | None = None,
    annotate: str | None = None,
    engine=None,
) -> tuple[int, list[tuple[str, str]]]:
    """One CSV row per face of every image; returns (rows written, [(skipped file, why)]).

    `faces`: "detect" finds and aligns every face, "aligned" takes each image as one aligned crop, "auto" (the
    default) takes images of CelebA's crop shape as aligned and detects faces in all others. Images are turned
    upright from their EXIF orientation first. Files without a face and unreadable files are skipped and listed.
    `engine` (an `Engine`): bf16 and channels_last; default fp32.
    """
    from tqdm.auto import tqdm

    from .pipeline import FaceAttributePipeline

    pipeline = FaceAttributePipeline(model_dir, faces=faces, threshold=threshold, device=device, engine=engine)
    label_names = pipeline.label_names
    skipped, pending, written = [], [], 0
    with open(output_csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*FACE_COLUMNS, *(f"{name}_probability" for name in label_names), *label_names])

        for path in tqdm(expand_inputs(inputs), desc="Predicting", unit="image"):
            try:
                image = open_rgb(path)
            except UNREADABLE_IMAGE_ERRORS as error:
                skipped.append((path, f"unreadable: {type(error).__name__}: {error}"))
                continue
            found = pipeline.find(image)
            if not found:
                skipped.append((path, "no face found"))
                continue
            pending.append((path, image, found))
            if sum(len(found) for _, _, found in pending) >= batch_size:
                written += _write_batch(pipeline, pending, writer, save_faces, annotate)
        written += _write_batch(pipeline, pending, writer, save_faces, annotate)
    return written, skipped


def _write_batch(pipeline, pending: list, writer, save_faces: str | None, annotate: str | None) -> int:
    """Classify the faces of the pending images in one batch, write their rows (and crops, annotated photos), empty
    `pending`; returns the rows written."""
    names = pipeline.label_names
    pipeline.classify([face for _, _, found in pending for face in found])
    written = 0
    for path, image, found in pending:
        for face in found:
            score = "" if face.score is None else f"{face.score:.4f}"
            probabilities = (f"{face.probabilities[n]:.6f}" for n in names)
            decisions = (face.predicted[n] for n in names)
            writer.writerow([path, face.index, *(f"{v:.1f}" for v in face.box), score, *probabilities, *decisions])
            written += 1
            if save_faces:
                target = _output_path(save_faces, path, f"_face{face.index}.png")
                target.parent.mkdir(parents=True, exist_ok=True)
                face.aligned.save(target)
        if annotate:
            target = _output_path(annotate, path, ".jpg")
            target.parent.mkdir(parents=True, exist_ok=True)
            draw_faces(image, found).save(target, quality=90)
    pending.clear()
    return written
