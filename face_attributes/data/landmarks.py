# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Five landmarks per CelebA image (eyes, nose, mouth corners), for face regions at training time.

Where they come from, in order: the release's own `list_landmarks_align_celeba.txt` (or Kaggle's `.csv`) beside the
attribute file; landmark columns the dataset carries (`lefteye_x`, …, as those files name them); else MTCNN on the
aligned crops, found once and cached beside the data as `list_landmarks_align_celeba_mtcnn.txt`, in the release's
format, so a second run reads it. Coordinates are image pixels of the aligned crop, as in the release.

    python -m face_attributes.data.landmarks /data/celeba --splits train    # find and cache them once (MTCNN)
"""

import argparse
import csv
import logging
import os
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# CelebA's column names, in MTCNN's order too: left eye, right eye, nose, left and right mouth corner.
LANDMARK_COLUMNS = (
    "lefteye_x", "lefteye_y", "righteye_x", "righteye_y", "nose_x", "nose_y",
    "leftmouth_x", "leftmouth_y", "rightmouth_x", "rightmouth_y",
)  # fmt: skip
RELEASE_FILES = ("list_landmarks_align_celeba.txt", "list_landmarks_align_celeba.csv")
DETECTED_FILE = "list_landmarks_align_celeba_mtcnn.txt"
# Aligned CelebA faces fill the crop (eyes about 40 px apart in 178×218): a larger smallest face than MTCNN's 20 px
# skips the finest levels of its image pyramid, several times faster, and finds the same faces.
ALIGNED_MIN_FACE_SIZE = 48
SAVE_EVERY = 2000  # detected landmarks are written back this often, so an interrupted run keeps its work


def read_landmark_table(path: str | os.PathLike) -> dict[str, np.ndarray | None]:
    """{image file name: (5, 2) landmarks, or None where none were found} from a file in the release's format (.txt:
    a count line, the column names, then `name x1 y1 … x5 y5`; .csv: a header `image_id,lefteye_x,…`)."""
    path = str(path)
    table = {}
    with open(path, newline="") as f:
        if path.endswith(".csv"):
            rows = list(csv.reader(f))[1:]
        else:
            rows = [line.split() for line in f.read().splitlines()[2:] if line.strip()]
    for line_number, row in enumerate(rows, start=3):
        if len(row) != 1 + len(LANDMARK_COLUMNS):
            raise ValueError(f"{path}, line {line_number}: expected a file name and 10 coordinates, got {row[:12]}.")
        values = row[1:]
        table[row[0]] = None if values[0] == "nan" else np.array(values, dtype=np.float64).reshape(5, 2)
    return table


def write_landmark_table(path: str | os.PathLike, table: dict[str, np.ndarray | None]) -> None:
    """The release's .txt format; a face MTCNN did not find is a row of `nan` (read back as None)."""
    lines = [str(len(table)), " ".join(LANDMARK_COLUMNS)]
    for name, points in sorted(table.items()):
        values = ["nan"] * 10 if points is None else [f"{v:.1f}" for v in np.asarray(points).reshape(-1)]
        lines.append(" ".join([name, *values]))
    temporary = Path(f"{path}.tmp")
    temporary.write_text("\n".join(lines) + "\n")
    os.replace(temporary, path)  # a reader never sees half a file


def release_landmark_file(data_dir: str | os.PathLike) -> Path | None:
    """The release's own landmark file in `data_dir`, if it has one."""
    return next((Path(data_dir) / name for name in RELEASE_FILES if (Path(data_dir) / name).exists()), None)


def landmarks_from_columns(split) -> list[np.ndarray | None] | None:
    """Each row's (5, 2) landmarks when the dataset carries CelebA's landmark columns, else None."""
    if not all(column in split.column_names for column in LANDMARK_COLUMNS):
        return None
    values = np.stack([np.asarray(split[column], dtype=np.float64) for column in LANDMARK_COLUMNS], 1)  # (rows, 10)
    return [None if np.isnan(row).any() else row.reshape(5, 2) for row in values]


def largest_face_landmarks(detector, image) -> np.ndarray | None:
    """The (5, 2) landmarks of the largest face MTCNN finds on an aligned crop (its own face, not one in the
    background), or None."""
    found = detector(image)
    best = max(found, key=lambda face: (face[0][2] - face[0][0]) * (face[0][3] - face[0][1]), default=None)
    return None if best is None else best[2]


def detect_landmarks(
    paths: list[str], cache_path: str | os.PathLike, min_face_size: int = ALIGNED_MIN_FACE_SIZE
) -> dict[str, np.ndarray | None]:
    """MTCNN's five landmarks of the largest face on each image, for the images the cache at `cache_path` lacks
    (read first, written back every SAVE_EVERY images and at the end)."""
    from PIL import Image

    from ..face_geometry import FaceDetector

    table = read_landmark_table(cache_path) if Path(cache_path).exists() else {}
    missing = [path for path in paths if os.path.basename(path) not in table]
    if missing:
        logger.info("Finding landmarks with MTCNN on %d crops (cached in %s).", len(missing), cache_path)
        detector = FaceDetector(min_score=0.9, min_face_size=min_face_size)
    for done, path in enumerate(missing, start=1):
        table[os.path.basename(path)] = largest_face_landmarks(detector, Image.open(path).convert("RGB"))
        if done % SAVE_EVERY == 0 or done == len(missing):
            write_landmark_table(cache_path, table)
            logger.info("Landmarks: %d of %d crops done.", done, len(missing))
    return table


def split_landmarks(split, data_dir: str | None, detect: bool = True) -> list[np.ndarray | None]:
    """Each row's (5, 2) landmarks (None where there are none): the release's file, the dataset's columns, or MTCNN
    (cached beside the data). A clear error where none of these can be had."""
    from datasets import Image as ImageFeature

    from_columns = landmarks_from_columns(split)
    if from_columns is not None:
        return from_columns
    paths = [(item or {}).get("path") for item in split.cast_column("image", ImageFeature(decode=False))["image"]]
    if not data_dir or not all(paths):
        raise ValueError(
            "Face regions at training time need landmarks: a CelebA folder (--data_dir, with or without "
            f"{RELEASE_FILES[0]}) or a dataset with the columns {', '.join(LANDMARK_COLUMNS[:2])}, …"
        )
    release = release_landmark_file(data_dir)
    if release is not None:
        table = read_landmark_table(release)
    elif detect:
        table = detect_landmarks(paths, Path(data_dir) / DETECTED_FILE)
    else:
        raise FileNotFoundError(f"No landmarks in {data_dir}: run python -m face_attributes.data.landmarks {data_dir}")
    return [table.get(os.path.basename(path)) for path in paths]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", help="The original CelebA release or the Kaggle layout.")
    parser.add_argument("--splits", nargs="+", default=["train"], help="Which splits' crops to find them on.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from .sources import load_source

    dataset = load_source(None, data_dir=args.data_dir)
    for name in args.splits:
        found = split_landmarks(dataset[name], args.data_dir)
        print(f"{name}: landmarks for {sum(p is not None for p in found)} of {len(found)} crops.")


if __name__ == "__main__":
    main()
