# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""CelebA in any form it arrives in → one `DatasetDict` (train/validation/test, `image`, label columns).

Sources: the built-in synthetic faces, a Hub dataset id (default `flwrlabs/celeba`), a local parquet /
imagefolder / `save_to_disk` folder, the original CelebA release folder and the Kaggle layout. Everything
stays memory-mapped Arrow and is cached by datasets' fingerprints."""

import csv
import logging
import os
from pathlib import Path

from datasets import Dataset, DatasetDict, Features, Image, Value, load_dataset, load_from_disk

from .synthetic import SETTINGS, SPLIT_CODES, SPLIT_SIZES, SYNTHETIC_ATTRIBUTES, VERSION, generate_examples

logger = logging.getLogger(__name__)

CELEBA_ATTRIBUTES = [
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
]


SPLIT_ALIASES = {"valid": "validation", "val": "validation", "dev": "validation", "eval": "validation"}


OFFLINE_HINT = (
    "Without network pass one of: --dataset_name synthetic (built-in faces), --data_dir with the original "
    "CelebA release (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt) or the Kaggle layout "
    "(list_attr_celeba.csv, list_eval_partition.csv), --train_dir/--validation_dir with image folders and a "
    "metadata.csv, or --dataset_name with a local folder of parquet files or a save_to_disk output."
)


def load_synthetic(
    seed: int = 0, sizes: dict[str, int] | None = None, cache_dir: str | None = None, setting: str | None = None
) -> DatasetDict:
    """The built-in faces; `setting` is "default" or "hard" (`--dataset_config_name`, see synthetic.py)."""
    setting = setting or "default"
    if setting not in SETTINGS:
        raise ValueError(f"--dataset_config_name {setting!r} is not a synthetic setting; choose one of {SETTINGS}.")
    sizes = {**SPLIT_SIZES, **(sizes or {})}
    features = Features(
        {"image": Image(), "index": Value("int32"), **{name: Value("int8") for name in SYNTHETIC_ATTRIBUTES}}
    )
    splits = {}
    for split, size in sizes.items():
        if size == 0:
            continue
        shards = [(start, min(start + 500, size)) for start in range(0, size, 500)]
        splits[split] = Dataset.from_generator(
            generate_examples,
            features=features,
            cache_dir=cache_dir,
            split=split,
            gen_kwargs={"seed": seed, "split": split, "shards": shards, "version": VERSION, "setting": setting},
        )
    return DatasetDict(splits)


def _celeba_annotation_files(data_dir: Path) -> tuple[Path, Path, Path] | None:
    """(attributes, partitions, image folder) of the original release or the Kaggle layout, else None."""
    for suffix in (".txt", ".csv"):
        attributes = data_dir / f"list_attr_celeba{suffix}"
        if attributes.exists():
            partitions = data_dir / f"list_eval_partition{suffix}"
            images = data_dir / "img_align_celeba"
            if (images / "img_align_celeba").is_dir():  # Kaggle nests the folder in itself
                images = images / "img_align_celeba"
            if not partitions.exists():
                raise FileNotFoundError(f"{attributes} needs {partitions.name} beside it for the splits.")
            if not images.is_dir():
                raise FileNotFoundError(f"No image folder img_align_celeba/ in {data_dir}.")
            return attributes, partitions, images
    return None


def _attribute_names(path: str) -> list[str]:
    with open(path, newline="") as f:
        if path.endswith(".csv"):
            return next(csv.reader(f))[1:]
        f.readline()  # the image count
        return f.readline().split()


def _read_celeba_table(path: str, report: bool = True) -> tuple[list[str], list[list[str]]]:
    """Attribute names and rows [file, v1, v2, ...] of list_attr_celeba.txt (space-padded) or .csv.

    A row with the wrong number of fields or a value other than -1/0/1 is an error naming the file, line and
    image. Duplicated image rows are dropped (the first is kept) and, with `report`, listed in a warning.
    """
    names = _attribute_names(path)
    with open(path, newline="") as f:
        if path.endswith(".csv"):
            numbered = enumerate(csv.reader(f), start=1)
            next(numbered)  # the header
        else:  # the count line and the names line come first
            numbered = ((n, line.split()) for n, line in enumerate(f, start=1) if n > 2 and line.strip())
        rows, first_line, duplicates = [], {}, []
        for line_number, row in numbered:
            where = f"{os.path.basename(path)} line {line_number} ({row[0] if row else 'empty'})"
            if len(row) != len(names) + 1:
                raise ValueError(
                    f"{where}: {len(row)} values, expected {len(names) + 1} (the file name and one "
                    f"value per attribute). Fix or remove that line."
                )
            bad = next((name for name, v in zip(names, row[1:]) if v.strip() not in ("-1", "0", "1")), None)
            if bad is not None:
                value = row[1 + names.index(bad)]
                raise ValueError(f"{where}: {bad} is {value!r}, expected -1, 0 or 1. Fix that line.")
            if row[0] in first_line:
                duplicates.append(f"{row[0]} (lines {first_line[row[0]]} and {line_number})")
                continue
            first_line[row[0]] = line_number
            rows.append(row)
    if duplicates and report:
        more = f" and {len(duplicates) - 10} more" if len(duplicates) > 10 else ""
        logger.warning(
            "%s lists %d image(s) twice; using the first row of each: %s%s",
            os.path.basename(path),
            len(duplicates),
            "; ".join(duplicates[:10]),
            more,
        )
    return names, rows


def _read_partitions(path: str) -> dict[str, str]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f)) if path.endswith(".csv") else [line.split() for line in f if line.strip()]
    if rows and rows[0][0] == "image_id":
        rows = rows[1:]
    return {row[0]: row[1] for row in rows}


def _generate_celeba(attributes: str, partitions: str, images: str, split: str, mtimes: tuple):
    names, rows = _read_celeba_table(attributes, report=False)  # checked and reported by load_celeba_folder
    partition_of = _read_partitions(partitions)
    present = set(os.listdir(images))  # a partial release lists images it does not have: they are left out
    for row in rows:
        if partition_of.get(row[0]) == str(SPLIT_CODES[split]) and row[0] in present:
            yield {"image": os.path.join(images, row[0]), **{n: (int(v) + 1) // 2 for n, v in zip(names, row[1:])}}


def _report_missing_images(attributes: str, rows: list[list[str]], images: str) -> None:
    """One warning when the annotation rows list images the folder does not have (a partial release)."""
    present = set(os.listdir(images))
    missing = [row[0] for row in rows if row[0] not in present]
    if missing:
        logger.warning(
            "%d of the %d images listed in %s are not in %s (a partial release?): those rows are left out (first: %s).",
            len(missing),
            len(rows),
            os.path.basename(attributes),
            images,
            ", ".join(missing[:3]),
        )


def load_celeba_folder(data_dir: str, cache_dir: str | None = None) -> DatasetDict:
    """The original release or the Kaggle layout; other annotation files beside them are ignored."""
    found = _celeba_annotation_files(Path(data_dir))
    if found is None:
        raise FileNotFoundError(
            f"{data_dir} has neither list_attr_celeba.txt (original release) nor list_attr_celeba.csv (Kaggle)."
        )
    attributes, partitions, images = (str(p.resolve()) for p in found)
    # Bad rows stop here with file, line and image, before any dataset is built.
    _, rows = _read_celeba_table(attributes)
    _report_missing_images(attributes, rows, images)
    features = Features({"image": Image(), **{name: Value("int8") for name in _attribute_names(attributes)}})
    # The modification times are part of the cache key: edited annotations, or images added to or removed from the
    # folder, are read again.
    mtimes = (os.path.getmtime(attributes), os.path.getmtime(partitions), os.path.getmtime(images))
    return DatasetDict(
        {
            split: Dataset.from_generator(
                _generate_celeba,
                features=features,
                cache_dir=cache_dir,
                split=split,
                gen_kwargs={
                    "attributes": attributes,
                    "partitions": partitions,
                    "images": images,
                    "split": split,
                    "mtimes": mtimes,
                },
            )
            for split in SPLIT_CODES
        }
    )


# A local parquet, save_to_disk or image folder is CelebA when it carries CelebA's identity column (the Hub copy's
# `celeb_id`) or at least half of CelebA's 40 attribute columns: a look-alike with a few of the names is not.
CELEBA_MARKER_COLUMNS = ("celeb_id",)
CELEBA_MIN_COLUMNS = len(CELEBA_ATTRIBUTES) // 2


def source_kind(dataset_name: str | None, data_dir: str | None = None, train_dir: str | None = None) -> str:
    """Which form load_source reads, in its order (so a --dataset_name default left set beside --data_dir or
    --train_dir does not count): "image_folder", "celeba_release", "synthetic", "local_folder" or "hub"."""
    if train_dir:
        return "image_folder"
    if data_dir:
        return "celeba_release" if _celeba_annotation_files(Path(data_dir)) is not None else "image_folder"
    if dataset_name == "synthetic":
        return "synthetic"
    return "local_folder" if dataset_name and os.path.isdir(dataset_name) else "hub"


def is_celeba(
    dataset_name: str | None,
    data_dir: str | None = None,
    train_dir: str | None = None,
    column_names: list[str] | tuple[str, ...] = (),
) -> bool:
    """Whether the source is CelebA itself, in any form: a release folder, a Hub id named like it, or a local folder
    (parquet, save_to_disk, images) whose columns are CelebA's."""
    kind = source_kind(dataset_name, data_dir, train_dir)
    if kind in ("celeba_release", "synthetic", "hub"):
        return kind == "celeba_release" or (kind == "hub" and "celeba" in (dataset_name or "").lower())
    columns = set(column_names)
    return bool(columns & set(CELEBA_MARKER_COLUMNS)) or len(columns & set(CELEBA_ATTRIBUTES)) >= CELEBA_MIN_COLUMNS


SOURCE_DESCRIPTIONS = {
    "image_folder": "a local image folder",
    "celeba_release": "CelebA (a local copy of the aligned-and-cropped release)",
    "synthetic": "the face-attributes project's built-in synthetic faces",
}


def describe_source(
    dataset_name: str | None, data_dir: str | None = None, train_dir: str | None = None, celeba: bool = False
) -> tuple[str, str | None]:
    """(what the source is, in words and without local paths; its Hub id, or None for a local source)."""
    kind = source_kind(dataset_name, data_dir, train_dir)
    if kind == "hub":
        return f"`{dataset_name}`", dataset_name
    if kind == "local_folder":
        return ("CelebA" if celeba else "a dataset") + " (a local parquet or save_to_disk folder)", None
    return SOURCE_DESCRIPTIONS[kind], None


def load_source(
    dataset_name: str | None = "flwrlabs/celeba",
    dataset_config_name: str | None = None,
    data_dir: str | None = None,
    train_dir: str | None = None,
    validation_dir: str | None = None,
    revision: str | None = None,
    token: str | bool | None = None,
    cache_dir: str | None = None,
    image_column: str = "image",
    seed: int = 0,
    synthetic_sizes: dict[str, int] | None = None,
) -> DatasetDict:
    """Load any supported source as a DatasetDict with train/validation/test names and an `image` column."""
    if train_dir or validation_dir:
        # One load per folder: datasets insists on one metadata schema per load, users' folders differ.
        folders = (("train", train_dir), ("validation", validation_dir))
        dataset = DatasetDict(
            {
                split: load_dataset("imagefolder", data_dir=folder, split="train", cache_dir=cache_dir)
                for split, folder in folders
                if folder
            }
        )
    elif data_dir:
        if _celeba_annotation_files(Path(data_dir)) is not None:
            dataset = load_celeba_folder(data_dir, cache_dir)
        else:
            dataset = load_dataset("imagefolder", data_dir=data_dir, cache_dir=cache_dir)
    elif dataset_name == "synthetic":
        dataset = load_synthetic(seed, synthetic_sizes, cache_dir, dataset_config_name)
    elif dataset_name and os.path.isdir(dataset_name) and (Path(dataset_name) / "dataset_dict.json").exists():
        dataset = load_from_disk(dataset_name)
    elif dataset_name:
        try:
            dataset = load_dataset(
                dataset_name, dataset_config_name, revision=revision, token=token, cache_dir=cache_dir
            )
        except (ConnectionError, OSError) as error:
            raise OSError(f"Could not load dataset {dataset_name!r} ({error}). {OFFLINE_HINT}") from error
    else:
        raise ValueError(f"No dataset given. {OFFLINE_HINT}")
    if not isinstance(dataset, DatasetDict):
        dataset = DatasetDict({"train": dataset})
    return _standardize(dataset, image_column)


def _standardize(dataset: DatasetDict, image_column: str) -> DatasetDict:
    renamed = {SPLIT_ALIASES.get(split, split): ds for split, ds in dataset.items()}
    train_columns = next(iter(renamed.values())).features
    if image_column not in train_columns:
        image_columns = [name for name, feature in train_columns.items() if isinstance(feature, Image)]
        if not image_columns:
            raise ValueError(
                f"No image column {image_column!r} in the dataset (columns: {list(train_columns)}); "
                "pass --image_column."
            )
        image_column = image_columns[0]
    if image_column != "image":
        renamed = {split: ds.rename_column(image_column, "image") for split, ds in renamed.items()}
    return DatasetDict(renamed)
