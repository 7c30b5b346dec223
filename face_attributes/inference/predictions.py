# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Predictions as CSV: a probability per attribute and 0/1 at a threshold, for a test split or per face of photos
and video frames."""

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.images import UNREADABLE_IMAGE_ERRORS, open_rgb
from .drawing import draw_faces
from .video import (
    VIDEO_SUFFIXES,
    Frame,
    VideoError,
    VideoWriter,
    frame_rate,
    is_video_path,
    read_frames,
    require_av,
)


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
    """Files, folders (their images and videos, sorted) and glob patterns → a list of file paths."""
    import glob

    paths = []
    for item in inputs:
        if os.path.isdir(item):
            media = IMAGE_SUFFIXES + VIDEO_SUFFIXES
            paths += sorted(os.path.join(item, n) for n in os.listdir(item) if n.lower().endswith(media))
        elif any(c in item for c in "*?["):
            paths += sorted(glob.glob(item, recursive=True))
        else:
            paths.append(item)
    return paths


FACE_COLUMNS = ["file", "face", "x0", "y0", "x1", "y1", "detection_score"]
FRAME_COLUMNS = ["frame", "time_s"]  # after "file" when any input is a video (empty for photos)


def _output_path(root: str, path: str, suffix: str) -> Path:
    """root/<path as given, without drive, root or '..'><suffix>: a/1.jpg and b/1.jpg stay apart."""
    parts = [part for part in Path(path).with_suffix("").parts if part not in (Path(path).anchor, "..", ".")]
    target = Path(root, *parts)
    return target.with_name(target.name + suffix)


@dataclass
class Pending:
    """A photo or video frame whose faces wait for the next batch."""

    path: str
    image: Image.Image
    faces: list
    frame: Frame | None = None  # for a video frame: its index and time


class RowWriter:
    """The CSV and the side outputs (crops, annotated photos and videos) of `predict_files`."""

    def __init__(self, f, pipeline, videos: bool, save_faces: str | None, annotate: str | None):
        self.csv, self.pipeline, self.videos = csv.writer(f), pipeline, videos
        self.save_faces, self.annotate = save_faces, annotate
        names = pipeline.label_names
        head = ["file", *(FRAME_COLUMNS if videos else []), *FACE_COLUMNS[1:]]
        self.csv.writerow([*head, *(f"{name}_probability" for name in names), *names])

    def flush(self, pending: list[Pending], video_out=None) -> int:
        """Classify the pending faces in one batch, write their rows, crops and annotations; empty `pending`."""
        names = self.pipeline.label_names
        self.pipeline.classify([face for item in pending for face in item.faces])
        written = 0
        for item in pending:
            where = [item.frame.index, f"{item.frame.time_s:.3f}"] if item.frame else ["", ""]
            for face in item.faces:
                score = "" if face.score is None else f"{face.score:.4f}"
                probabilities = (f"{face.probabilities[n]:.6f}" for n in names)
                decisions = (face.predicted[n] for n in names)
                box = (f"{v:.1f}" for v in face.box)
                row = [item.path, *(where if self.videos else []), face.index, *box, score, *probabilities, *decisions]
                self.csv.writerow(row)
                written += 1
                if self.save_faces:
                    frame = f"_frame{item.frame.index}" if item.frame else ""
                    self._save(face.aligned, _output_path(self.save_faces, item.path, f"{frame}_face{face.index}.png"))
            if video_out is not None:
                video_out.write(draw_faces(item.image, item.faces))
            elif self.annotate:
                self._save(draw_faces(item.image, item.faces), _output_path(self.annotate, item.path, ".jpg"))
        pending.clear()
        return written

    @staticmethod
    def _save(image: Image.Image, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, **({"quality": 90} if target.suffix == ".jpg" else {}))


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
    every: int = 1,
) -> tuple[int, list[tuple[str, str]]]:
    """One CSV row per face of every image, and of every `every`-th frame of every video; returns (rows written,
    [(skipped file, why)]).

    `faces`: "detect" finds and aligns every face, "aligned" takes each image as one aligned crop, "auto" (the
    default) takes images of CelebA's crop shape as aligned and detects faces in all others. Images are turned
    upright from their EXIF orientation first. Files without a face and unreadable files (photos or videos) are
    skipped and listed; the other inputs still finish. `engine` (an `Engine`): bf16 and channels_last; default fp32.
    """
    from tqdm.auto import tqdm

    from .pipeline import FaceAttributePipeline

    paths = expand_inputs(inputs)
    videos = any(map(is_video_path, paths))
    if videos:
        require_av()  # before any work: not halfway through the inputs
    pipeline = FaceAttributePipeline(model_dir, faces=faces, threshold=threshold, device=device, engine=engine)
    skipped, pending, written = [], [], 0
    with open(output_csv, "w", newline="") as f:
        rows = RowWriter(f, pipeline, videos, save_faces, annotate)
        for path in tqdm(paths, desc="Predicting", unit="file"):
            if is_video_path(path):
                written += rows.flush(pending)  # the photos before it first: rows stay in input order
                try:
                    found = _predict_video(pipeline, path, every, batch_size, rows)
                except VideoError as error:
                    skipped.append((path, f"unreadable video: {error}"))
                    continue
                written += found
                if not found:
                    skipped.append((path, "no face found in any frame read"))
                continue
            try:
                image = open_rgb(path)
            except UNREADABLE_IMAGE_ERRORS as error:
                skipped.append((path, f"unreadable: {type(error).__name__}: {error}"))
                continue
            found = pipeline.find(image)
            if not found:
                skipped.append((path, "no face found"))
                continue
            pending.append(Pending(path, image, found))
            if sum(len(item.faces) for item in pending) >= batch_size:
                written += rows.flush(pending)
        written += rows.flush(pending)
    return written, skipped


def _predict_video(pipeline, path: str, every: int, batch_size: int, rows: RowWriter) -> int:
    """Every `every`-th frame's faces, batched across frames; an annotated MP4 of those frames with --annotate."""
    pending, written = [], 0
    video_out = None
    if rows.annotate:
        video_out = VideoWriter(str(_output_path(rows.annotate, path, ".mp4")), frame_rate(path) / every)
    try:
        for frame in read_frames(path, every):
            pending.append(Pending(path, frame.image, pipeline.find(frame.image), frame))
            if sum(len(item.faces) for item in pending) >= batch_size:
                written += rows.flush(pending, video_out)
        written += rows.flush(pending, video_out)
    finally:
        if video_out is not None:
            video_out.close()
    return written
