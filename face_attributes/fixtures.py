# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Small datasets written in CelebA's real on-disk formats, from synthetic faces (for tests and benchmarks).

Every writer returns the folder it wrote. Labels in the files follow each format's own convention
(-1/1 in the original release and Kaggle CSVs, bools on the Hub copy).
"""

import csv
import os
from pathlib import Path

from .synthetic import SYNTHETIC_ATTRIBUTES, make_face

SPLIT_CODES = {"train": 0, "validation": 1, "test": 2}


def _faces(sizes: dict[str, int], image_size: tuple[int, int] | None, seed: int):
    """(file name, split, face, image) in CelebA order: train files first, then validation, then test."""
    number = 0
    for split, count in sizes.items():
        for index in range(count):
            number += 1
            face = make_face(seed, split, index)
            image = face.image.resize(image_size) if image_size else face.image
            yield f"{number:06d}.jpg", split, face, image


def write_celeba_release(
    root, sizes: dict[str, int], image_size: tuple[int, int] | None = None, seed: int = 0, kaggle: bool = False
) -> Path:
    """The original release (space-padded .txt files) or, with `kaggle`, the Kaggle CSV layout."""
    root = Path(root)
    images = root / "img_align_celeba" / ("img_align_celeba" if kaggle else "")
    images.mkdir(parents=True, exist_ok=True)
    rows, partitions = [], []
    for name, split, face, image in _faces(sizes, image_size, seed):
        image.save(images / name, quality=90)
        rows.append((name, [1 if face.labels[a] else -1 for a in SYNTHETIC_ATTRIBUTES]))
        partitions.append((name, SPLIT_CODES[split]))
    if kaggle:
        with open(root / "list_attr_celeba.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", *SYNTHETIC_ATTRIBUTES], *([n, *v] for n, v in rows)])
        with open(root / "list_eval_partition.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", "partition"], *partitions])
        return root
    with open(root / "list_attr_celeba.txt", "w") as f:
        # As in the release: a count line, a names line, then values right-aligned in runs of spaces.
        f.write(f"{len(rows)}\n{' '.join(SYNTHETIC_ATTRIBUTES)} \n")
        f.writelines(f"{n} " + " ".join(f"{v:2d}" for v in values) + "\n" for n, values in rows)
    with open(root / "list_eval_partition.txt", "w") as f:
        f.writelines(f"{n} {code}\n" for n, code in partitions)
    # Other annotation files of the release sit beside them and must be ignored.
    (root / "identity_CelebA.txt").write_text("".join(f"{n} 1\n" for n, _ in rows))
    (root / "list_bbox_celeba.txt").write_text(f"{len(rows)}\nimage_id x_1 y_1 width height\n")
    return root


def write_hub_parquet(root, sizes: dict[str, int], image_size: tuple[int, int] | None = None, seed: int = 0) -> Path:
    """The Hub copy's layout (flwrlabs/celeba): parquet shards, splits train/valid/test, bool attributes."""
    from datasets import Dataset, Features, Image, Value

    root = Path(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    features = Features({"image": Image(), "celeb_id": Value("int64"), **{a: Value("bool") for a in SYNTHETIC_ATTRIBUTES}})
    configs = []
    for split, count in sizes.items():
        hub_split = "valid" if split == "validation" else split
        records = {"image": [], "celeb_id": [], **{a: [] for a in SYNTHETIC_ATTRIBUTES}}
        for index in range(count):
            face = make_face(seed, split, index)
            records["image"].append(face.image.resize(image_size) if image_size else face.image)
            records["celeb_id"].append(index % 7)
            for a in SYNTHETIC_ATTRIBUTES:
                records[a].append(bool(face.labels[a]))
        Dataset.from_dict(records, features=features).to_parquet(str(root / "data" / f"{hub_split}-00000-of-00001.parquet"))
        configs.append(f"  - split: {hub_split}\n    path: data/{hub_split}-*")
    (root / "README.md").write_text("---\nconfigs:\n- config_name: default\n  data_files:\n" + "\n".join(configs) + "\n---\n")
    return root


def write_image_folder(root, count: int, image_size: tuple[int, int] | None = None, seed: int = 0,
                       split: str = "train", label_format: str = "int") -> Path:  # fmt: skip
    """An imagefolder with metadata.csv (file_name + label columns as int 0/1, "True"/"False" or -1/1)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    encode = {"int": lambda v: int(v), "str": lambda v: str(bool(v)), "pm1": lambda v: 1 if v else -1}[label_format]
    with open(root / "metadata.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file_name", *SYNTHETIC_ATTRIBUTES])
        for index in range(count):
            face = make_face(seed, split, index)
            name = f"face_{index:05d}.jpg"
            (face.image.resize(image_size) if image_size else face.image).save(os.path.join(root, name))
            writer.writerow([name, *(encode(face.labels[a]) for a in SYNTHETIC_ATTRIBUTES)])
    return root
