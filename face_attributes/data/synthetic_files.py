# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The synthetic faces written to disk in each form CelebA comes in: the original release (.txt), Kaggle's CSVs, the
Hub copy's parquet shards and an image folder with metadata.csv. To try a loader or a recipe without CelebA:

    python -m face_attributes.data.synthetic_files release /tmp/fake-celeba --sizes 800 100 100
    bash scripts/train_celeba_cpu.sh /tmp/fake-celeba

Every writer returns the folder it wrote. Labels in the files follow each format's own convention (-1/1 in the
original release and Kaggle's CSVs, bools on the Hub copy, 0/1 in the folder's metadata.csv unless asked otherwise).
"""

import argparse
import csv
import os
from pathlib import Path

from .landmarks import LANDMARK_COLUMNS
from .synthetic import SPLIT_CODES, SYNTHETIC_ATTRIBUTES, make_face


def _faces(sizes: dict[str, int], image_size: tuple[int, int] | None, seed: int):
    """(file name, split, face, image) in CelebA order: train files first, then validation, then test."""
    number = 0
    for split, count in sizes.items():
        for index in range(count):
            number += 1
            face = make_face(seed, split, index)
            image = face.image.resize(image_size) if image_size else face.image
            yield f"{number:06d}.jpg", split, face, image


def synthetic_landmarks(face) -> list[float]:
    """Five landmarks of a synthetic face as CelebA's landmark file lists them (left eye, right eye, nose, left and
    right mouth corner; x, y each), from where synthetic.py draws the eyes and the mouth."""
    x0, y0, x1, y1 = face.boxes["Eyeglasses"]  # (cx ± (eye_dx + 19 s), eye_y ± 14 s) with eye_dx = 20 s
    scale, cx, eye_y = (x1 - x0) / 78, (x0 + x1) / 2, (y0 + y1) / 2
    mouth_y = face.boxes["Smiling"][1] + 8 * scale
    points = [cx - 20 * scale, eye_y, cx + 20 * scale, eye_y, cx - 4 * scale, (eye_y + mouth_y) / 2]
    return points + [cx - 14 * scale, mouth_y, cx + 14 * scale, mouth_y]


def write_celeba_release(
    root, sizes: dict[str, int], image_size: tuple[int, int] | None = None, seed: int = 0, kaggle: bool = False
) -> Path:
    """The original release (space-padded .txt files) or, with `kaggle`, the Kaggle CSV layout."""
    root = Path(root)
    images = root / "img_align_celeba" / ("img_align_celeba" if kaggle else "")
    images.mkdir(parents=True, exist_ok=True)
    rows, partitions, landmarks = [], [], []
    for name, split, face, image in _faces(sizes, image_size, seed):
        image.save(images / name, quality=90)
        rows.append((name, [1 if face.labels[a] else -1 for a in SYNTHETIC_ATTRIBUTES]))
        partitions.append((name, SPLIT_CODES[split]))
        scale = (image.width / face.image.width, image.height / face.image.height)
        landmarks.append((name, [round(v * scale[i % 2]) for i, v in enumerate(synthetic_landmarks(face))]))
    if kaggle:
        with open(root / "list_attr_celeba.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", *SYNTHETIC_ATTRIBUTES], *([n, *v] for n, v in rows)])
        with open(root / "list_eval_partition.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", "partition"], *partitions])
        with open(root / "list_landmarks_align_celeba.csv", "w", newline="") as f:
            csv.writer(f).writerows([["image_id", *LANDMARK_COLUMNS], *([n, *v] for n, v in landmarks)])
        return root
    with open(root / "list_attr_celeba.txt", "w") as f:
        # As in the release: a count line, a names line, then values right-aligned in runs of spaces.
        f.write(f"{len(rows)}\n{' '.join(SYNTHETIC_ATTRIBUTES)} \n")
        f.writelines(f"{n} " + " ".join(f"{v:2d}" for v in values) + "\n" for n, values in rows)
    with open(root / "list_eval_partition.txt", "w") as f:
        f.writelines(f"{n} {code}\n" for n, code in partitions)
    with open(root / "list_landmarks_align_celeba.txt", "w") as f:  # as in the release, integer pixels
        f.write(f"{len(landmarks)}\n{' '.join(LANDMARK_COLUMNS)}\n")
        f.writelines(f"{n} " + " ".join(f"{v:4d}" for v in values) + "\n" for n, values in landmarks)
    # Other annotation files of the release sit beside them and must be ignored.
    (root / "identity_CelebA.txt").write_text("".join(f"{n} 1\n" for n, _ in rows))
    (root / "list_bbox_celeba.txt").write_text(f"{len(rows)}\nimage_id x_1 y_1 width height\n")
    return root


def write_hub_parquet(root, sizes: dict[str, int], image_size: tuple[int, int] | None = None, seed: int = 0) -> Path:
    """The Hub copy's layout (flwrlabs/celeba): parquet shards, splits train/valid/test, bool attributes."""
    from datasets import Dataset, Features, Image, Value

    root = Path(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    features = Features(
        {"image": Image(), "celeb_id": Value("int64"), **{a: Value("bool") for a in SYNTHETIC_ATTRIBUTES}}
    )
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
        Dataset.from_dict(records, features=features).to_parquet(
            str(root / "data" / f"{hub_split}-00000-of-00001.parquet")
        )
        configs.append(f"  - split: {hub_split}\n    path: data/{hub_split}-*")
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n" + "\n".join(configs) + "\n---\n"
    )
    return root


def write_image_folder(
    root,
    count: int,
    image_size: tuple[int, int] | None = None,
    seed: int = 0,
    split: str = "train",
    label_format: str = "int",
) -> Path:
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


LAYOUTS = ("release", "kaggle", "hub", "folder")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("layout", choices=LAYOUTS, help="release (.txt), kaggle (.csv), hub (parquet), folder")
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--sizes", type=int, nargs=3, default=(800, 100, 100), metavar=("TRAIN", "VALID", "TEST"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = dict(zip(("train", "validation", "test"), args.sizes))
    if args.layout == "hub":
        root = write_hub_parquet(args.output_dir, sizes, seed=args.seed)
    elif args.layout == "folder":  # one folder per split, as --train_dir / --validation_dir / --test_dir read them
        for split, count in sizes.items():
            write_image_folder(args.output_dir / split, count, seed=args.seed, split=split)
        root = args.output_dir
    else:
        root = write_celeba_release(args.output_dir, sizes, seed=args.seed, kaggle=args.layout == "kaggle")
    print(f"Wrote {sum(sizes.values())} synthetic faces in the {args.layout} layout to {root}")
    return root


if __name__ == "__main__":
    main()
