# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Predictions as CSV: a probability per attribute and 0/1 at a threshold, for a test split or per face of photos."""

import csv
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .images import UNREADABLE_IMAGE_ERRORS, open_rgb

THRESHOLDS_FILE = "thresholds.json"


def load_thresholds(model_dir: str, label_names: list[str], threshold: str | float = 0.5) -> np.ndarray:
    """A float → that cut for every attribute; "saved" → the per-attribute cuts in thresholds.json (in the metadata
    of an exported .onnx file)."""
    from .onnx_model import is_onnx_path, read_onnx_metadata

    if threshold != "saved":
        return np.full(len(label_names), float(threshold))
    if is_onnx_path(model_dir):
        path, saved = model_dir, read_onnx_metadata(model_dir).thresholds
        if saved is None:
            raise ValueError(f"{path} carries no thresholds (its folder had no {THRESHOLDS_FILE}): pass a number.")
    else:
        path = os.path.join(model_dir, THRESHOLDS_FILE)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} not found: train with run_classification.py --do_eval, or pass a number.")
        with open(path) as f:
            saved = json.load(f)
    missing = [name for name in label_names if name not in saved]
    if missing:
        raise ValueError(f"{path} has no threshold for {missing}.")
    return np.array([saved[name] for name in label_names], dtype=np.float64)


def has_saved_thresholds(model_dir: str) -> bool:
    """Whether `load_thresholds(model_dir, ..., "saved")` has per-attribute thresholds to read."""
    from .onnx_model import is_onnx_path, read_onnx_metadata

    if is_onnx_path(model_dir):
        return read_onnx_metadata(model_dir).thresholds is not None
    return os.path.exists(os.path.join(model_dir, THRESHOLDS_FILE))


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


FACE_COLUMNS = ["file", "face", "x0", "y0", "x1", "y1", "detection_score"]


def _output_path(root: str, path: str, suffix: str) -> Path:
    """root/<path as given, without drive, root or '..'><suffix>: a/1.jpg and b/1.jpg stay apart."""
    parts = [part for part in Path(path).with_suffix("").parts if part not in (Path(path).anchor, "..", ".")]
    target = Path(root, *parts)
    return target.with_name(target.name + suffix)


def predict_files(
    model_dir: str, inputs: list[str], output_csv: str, batch_size: int = 32, threshold: str | float = 0.5,
    device: str | None = None, faces: str = "auto", save_faces: str | None = None, annotate: str | None = None,
) -> tuple[int, list[tuple[str, str]]]:  # fmt: skip
    """One CSV row per face of every image; returns (rows written, [(skipped file, why)]).

    `faces`: "detect" finds and aligns every face, "aligned" takes each image as one aligned crop, "auto" (the
    default) takes images of CelebA's crop shape as aligned and detects faces in all others. Images are turned
    upright from their EXIF orientation first. Files without a face and unreadable files are skipped and listed.
    """
    from tqdm.auto import tqdm

    from .faces import FaceAttributePipeline

    pipeline = FaceAttributePipeline(model_dir, faces=faces, threshold=threshold, device=device)
    label_names = pipeline.label_names
    skipped, pending, written = [], [], 0
    with open(output_csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*FACE_COLUMNS, *(f"{name}_probability" for name in label_names), *label_names])

        def flush():
            nonlocal written
            pipeline.classify([face for _, _, found in pending for face in found])
            for path, image, found in pending:
                for face in found:
                    score = "" if face.score is None else f"{face.score:.4f}"
                    writer.writerow([path, face.index, *(f"{v:.1f}" for v in face.box), score,
                                     *(f"{face.probabilities[n]:.6f}" for n in label_names),
                                     *(face.predicted[n] for n in label_names)])  # fmt: skip
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
                flush()
        flush()
    return written, skipped


def draw_faces(image: Image.Image, faces: list, top_k: int = 3) -> Image.Image:
    """A copy of the photo with a numbered box per face and its `top_k` most likely attributes above it."""
    from PIL import ImageDraw, ImageFont

    annotated = image.copy()
    draw = ImageDraw.Draw(annotated)
    width = max(2, round(min(image.size) / 250))
    font = ImageFont.load_default(size=max(12, round(min(image.size) / 40)))
    for face in faces:
        x0, y0, x1, y1 = face.box
        draw.rectangle((x0, y0, x1, y1), outline=(255, 215, 0), width=width)
        top = sorted(face.probabilities.items(), key=lambda item: -item[1])[:top_k]
        text = f"#{face.index} " + ", ".join(f"{name} {p:.2f}" for name, p in top)
        text_width = draw.textlength(text, font=font)
        left, bottom = max(0, min(x0, image.width - text_width)), max(font.size, y0 - width)  # inside the photo
        box = draw.textbbox((left, bottom), text, font=font, anchor="lb")
        draw.rectangle(box, fill=(0, 0, 0))
        draw.text((left, bottom), text, font=font, fill=(255, 215, 0), anchor="lb")
    return annotated
