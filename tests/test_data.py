# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Data: every source → one schema, label normalisation, stratified splits, transforms, robust images."""

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import Dataset, DatasetDict, Features, Value
from datasets import Image as ImageFeature
from PIL import Image

from face_attributes.data import synthetic_files
from face_attributes.data.images import build_image_processor, drop_unreadable_images, eval_transform, to_rgb
from face_attributes.data.labels import make_splits, normalize_labels, resolve_label_columns, stratified_indices
from face_attributes.data.sources import CELEBA_ATTRIBUTES, describe_source, is_celeba, load_source
from face_attributes.data.synthetic import SYNTHETIC_ATTRIBUTES, make_face
from face_attributes.training.augmentation import resized_crop_transform

from testing_utils import write_celeba_release, write_hub_parquet, write_image_folder

SIZES = {"train": 12, "validation": 4, "test": 4}
SMALL = (36, 44)


def expected_labels(split: str, index: int) -> dict[str, int]:
    return make_face(0, split, index).labels


def assert_celeba_schema(dataset: DatasetDict, sizes=SIZES):
    assert list(dataset) == list(sizes) and {k: len(v) for k, v in dataset.items()} == sizes
    for split, ds in dataset.items():
        assert isinstance(ds.features["image"], ImageFeature)
        for index in (0, len(ds) - 1):
            row = ds[index]
            assert row["image"].size == SMALL
            assert {a: row[a] for a in SYNTHETIC_ATTRIBUTES} == expected_labels(split, index)


@pytest.mark.parametrize("kaggle", [False, True])
def test_celeba_release_and_kaggle_layouts(tmp_path, kaggle):
    root = write_celeba_release(tmp_path / "celeba", SIZES, SMALL, kaggle=kaggle)
    if not kaggle:  # the real, space-padded -1/1 rows
        line = (root / "list_attr_celeba.txt").read_text().splitlines()[2]
        assert line.startswith("000001.jpg ") and ("  1" in line or " -1" in line)
    dataset = load_source(data_dir=str(root), cache_dir=str(tmp_path / "cache"))
    dataset = normalize_labels(dataset, SYNTHETIC_ATTRIBUTES)
    assert_celeba_schema(dataset)


def edit_line(path: Path, number: int, edit) -> str:
    lines = path.read_text().splitlines(keepends=True)
    lines[number - 1] = edit(lines[number - 1])
    path.write_text("".join(lines))
    return lines[number - 1]


@pytest.mark.parametrize(
    "kaggle,line,edit,message",
    [
        (
            False,
            7,
            lambda l: " ".join(l.split()[:5]) + "\n",
            r"list_attr_celeba.txt line 7 \(000005.jpg\): 5 values, expected 9",
        ),
        (
            False,
            4,
            lambda l: " ".join([l.split()[0], "2", *l.split()[2:]]) + "\n",
            rf"list_attr_celeba.txt line 4 \(000002.jpg\): {SYNTHETIC_ATTRIBUTES[0]} is '2', expected -1, 0 or 1",
        ),
        (
            True,
            3,
            lambda l: ",".join(l.split(",")[:3]) + "\n",
            r"list_attr_celeba.csv line 3 \(000002.jpg\): 3 values, expected 9",
        ),
    ],
)
def test_bad_annotation_rows_name_file_line_and_image(tmp_path, kaggle, line, edit, message):
    root = write_celeba_release(tmp_path / "celeba", SIZES, SMALL, kaggle=kaggle)
    edit_line(root / ("list_attr_celeba.csv" if kaggle else "list_attr_celeba.txt"), line, edit)
    with pytest.raises(ValueError, match=message):
        load_source(data_dir=str(root), cache_dir=str(tmp_path / "cache"))


def test_duplicated_annotation_rows_are_reported_and_dropped(tmp_path, caplog):
    root = write_celeba_release(tmp_path / "celeba", SIZES, SMALL)
    attributes = root / "list_attr_celeba.txt"
    attributes.write_text(attributes.read_text() + attributes.read_text().splitlines(keepends=True)[3])
    with caplog.at_level("WARNING"):
        dataset = load_source(data_dir=str(root), cache_dir=str(tmp_path / "cache"))
    assert "lists 1 image(s) twice" in caplog.text and "000002.jpg (lines 4 and 23)" in caplog.text
    assert_celeba_schema(normalize_labels(dataset, SYNTHETIC_ATTRIBUTES))  # each image once


def test_partial_release_leaves_out_rows_without_an_image_in_one_warning(tmp_path, caplog):
    # As the 46,715-image release this project benchmarks on: the annotation files list every CelebA image.
    root = write_celeba_release(tmp_path / "celeba", SIZES, SMALL)
    for name in ("000002.jpg", "000013.jpg", "000020.jpg"):  # train index 1, validation 0, test 3
        (root / "img_align_celeba" / name).unlink()
    with caplog.at_level("WARNING"):
        dataset = load_source(data_dir=str(root), cache_dir=str(tmp_path / "cache"))
    assert {k: len(v) for k, v in dataset.items()} == {"train": 11, "validation": 3, "test": 3}
    assert caplog.text.count("are not in") == 1 and "3 of the 20 images listed" in caplog.text
    names = [Path(p["path"]).name for p in dataset["train"].cast_column("image", ImageFeature(decode=False))["image"]]
    assert "000002.jpg" not in names and dataset["train"][1]["Male"] == expected_labels("train", 2)["Male"]
    # Putting the images back is seen on the next load (the folder is part of the cache key).
    full = write_celeba_release(tmp_path / "full", SIZES, SMALL)
    for name in ("000002.jpg", "000013.jpg", "000020.jpg"):
        shutil.copy(full / "img_align_celeba" / name, root / "img_align_celeba" / name)
    assert len(load_source(data_dir=str(root), cache_dir=str(tmp_path / "cache"))["train"]) == 12


def test_celeba_release_second_run_is_cached(tmp_path):
    root = write_celeba_release(tmp_path / "celeba", {"train": 300, "validation": 10, "test": 10}, SMALL)
    cache = str(tmp_path / "cache")
    load_source(data_dir=str(root), cache_dir=cache)
    cached_files = sorted(p.name for p in (tmp_path / "cache").rglob("*.arrow"))
    start = time.perf_counter()
    again = load_source(data_dir=str(root), cache_dir=cache)
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*.arrow")) == cached_files  # nothing rebuilt
    assert again["train"].cache_files and time.perf_counter() - start < 5


def test_hub_layout_parquet_folder_with_valid_split_and_bools(tmp_path):
    root = write_hub_parquet(tmp_path / "hub", SIZES, SMALL)
    dataset = load_source(dataset_name=str(root), cache_dir=str(tmp_path / "cache"))
    assert dataset["train"].features["Male"] == Value("bool")
    dataset = normalize_labels(dataset, SYNTHETIC_ATTRIBUTES)
    assert dataset["train"].features["Male"] == Value("int8")
    assert_celeba_schema(dataset)


def test_save_to_disk_folder_with_minus_one_labels_and_other_image_column(tmp_path):
    def split(name, n):
        faces = [make_face(0, name, i) for i in range(n)]
        return Dataset.from_dict(
            {"img": [f.image.resize(SMALL) for f in faces], "Male": [2 * f.labels["Male"] - 1 for f in faces]},
            features=Features({"img": ImageFeature(), "Male": Value("int64")}),
        )

    DatasetDict({"train": split("train", 6), "validation": split("validation", 3)}).save_to_disk(tmp_path / "disk")
    dataset = load_source(dataset_name=str(tmp_path / "disk"), image_column="img")
    dataset = normalize_labels(dataset, ["Male"])
    assert dataset["train"]["Male"] == [expected_labels("train", i)["Male"] for i in range(6)]
    assert dataset["validation"][0]["image"].size == SMALL


def test_image_folders_with_string_labels(tmp_path):
    write_image_folder(tmp_path / "train", 8, SMALL, split="train", label_format="str")
    write_image_folder(tmp_path / "val", 4, SMALL, split="validation", label_format="pm1")
    dataset = load_source(
        train_dir=str(tmp_path / "train"), validation_dir=str(tmp_path / "val"), cache_dir=str(tmp_path / "cache")
    )
    dataset = normalize_labels(dataset, ["Male", "Smiling"])
    assert {k: len(v) for k, v in dataset.items()} == {"train": 8, "validation": 4}
    assert dataset["train"]["Smiling"] == [expected_labels("train", i)["Smiling"] for i in range(8)]
    assert dataset["validation"]["Male"] == [expected_labels("validation", i)["Male"] for i in range(4)]


def test_offline_hub_id_error_says_what_to_pass():
    with pytest.raises(OSError, match=r"(?s)flwrlabs/celeba.*--dataset_name synthetic.*--data_dir"):
        load_source("flwrlabs/celeba")


def label_dataset(values, feature=None) -> DatasetDict:
    features = Features({"Male": feature}) if feature else None
    return DatasetDict({"train": Dataset.from_dict({"Male": values}, features=features)})


@pytest.mark.parametrize(
    "values,feature",
    [([True, False, True], Value("bool")), ([1, 0, 1], None), ([1, -1, 1], None), (["True", "False", "True"], None)],
)
def test_label_values_become_zero_one(values, feature):
    dataset = normalize_labels(label_dataset(values, feature), ["Male"])
    assert dataset["train"]["Male"] == [1, 0, 1] and dataset["train"].features["Male"] == Value("int8")


def test_bad_label_value_names_column_and_value():
    with pytest.raises(ValueError, match=r"'Male'.*'maybe'"):
        normalize_labels(label_dataset(["True", "maybe"]), ["Male"])


def test_unknown_label_column_lists_the_available_ones():
    dataset = DatasetDict({"train": Dataset.from_dict({"image": [None], "Male": [1], "Smiling": [0]})})
    with pytest.raises(ValueError, match=r"\['Beard'\].*'Male', 'Smiling'"):
        resolve_label_columns(dataset, ["Beard"])
    assert resolve_label_columns(dataset, None) == ["Male"]
    assert resolve_label_columns(dataset, ["all"]) == ["Male", "Smiling"]


def test_stratified_indices_keep_class_ratio_and_are_deterministic():
    labels = (np.random.default_rng(0).random(5000) < 0.23).astype(int)
    taken, rest = stratified_indices(labels, 700, seed=1)
    assert len(taken) == 700 and len(np.intersect1d(taken, rest)) == 0 and len(rest) == 4300
    assert abs(labels[taken].mean() - labels.mean()) < 0.02 and abs(labels[rest].mean() - labels.mean()) < 0.02
    np.testing.assert_array_equal(taken, stratified_indices(labels, 700, seed=1)[0])
    assert not np.array_equal(taken, stratified_indices(labels, 700, seed=2)[0])


def test_make_splits_carves_validation_and_takes_colab_subset():
    labels = (np.arange(2000) % 5 == 0).astype(int)  # 20 % positives
    dataset = DatasetDict(
        {"train": Dataset.from_dict({"Male": labels}), "test": Dataset.from_dict({"Male": labels[:50]})}
    )
    carved = make_splits(dataset, "Male", validation_split_percentage=15, seed=0)
    assert len(carved["validation"]) == 300 and len(carved["train"]) == 1700
    for split in ("train", "validation"):
        assert abs(np.mean(carved[split]["Male"]) - 0.2) < 0.02
    colab = make_splits(dataset, "Male", validation_split_percentage=20, subset_percentage=5, seed=0)
    assert (len(colab["train"]), len(colab["validation"])) == (80, 20)
    assert abs(np.mean(colab["validation"]["Male"]) - 0.2) < 0.02
    limited = make_splits(carved, "Male", max_train_samples=100, max_eval_samples=50, seed=0)
    assert (len(limited["train"]), len(limited["validation"])) == (100, 50)
    assert abs(np.mean(limited["train"]["Male"]) - 0.2) < 0.02


def bad_image_zoo(tmp_path) -> list:
    face = make_face(0, "train", 0).image.resize(SMALL)
    paths = {}
    for name, image in {
        "gray.png": face.convert("L"),
        "palette.png": face.convert("P"),
        "rgba.png": face.convert("RGBA"),
        "cmyk.jpg": face.convert("CMYK"),
        "good.jpg": face,
        "sixteen.png": Image.fromarray(np.asarray(face.convert("L"), dtype=np.uint16) * 257),
    }.items():
        image.save(tmp_path / name)
        paths[name] = str(tmp_path / name)
    full = io.BytesIO()
    face.save(full, format="JPEG")
    (tmp_path / "truncated.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    paths["truncated.jpg"], paths["empty.jpg"] = str(tmp_path / "truncated.jpg"), str(tmp_path / "empty.jpg")
    return paths


def test_bad_image_zoo_converts_modes_and_drops_unreadable(tmp_path, caplog):
    paths = bad_image_zoo(tmp_path)
    assert Image.open(paths["sixteen.png"]).mode.startswith("I")
    names = sorted(paths)
    dataset = DatasetDict(
        {
            "train": Dataset.from_dict(
                {"image": [paths[n] for n in names], "Male": [1] * len(names)},
                features=Features({"image": ImageFeature(), "Male": Value("int8")}),
            )
        }
    )
    with caplog.at_level("WARNING"):
        cleaned = drop_unreadable_images(dataset)
    assert len(cleaned["train"]) == len(names) - 2
    assert "Dropping 2 unreadable" in caplog.text and "truncated.jpg" in caplog.text and "empty.jpg" in caplog.text
    transform = eval_transform(32)
    for row in cleaned["train"]:
        rgb = to_rgb(row["image"])
        assert rgb.mode == "RGB" and transform(rgb).shape == (3, 32, 32)
    sixteen = np.asarray(to_rgb(Image.open(paths["sixteen.png"])))
    np.testing.assert_allclose(sixteen[..., 0], np.asarray(Image.open(paths["gray.png"])), atol=1)
    with pytest.raises(ValueError, match=r"2 unreadable.*(truncated|empty)"):
        drop_unreadable_images(dataset, strict=True)


def test_transforms_are_deterministic_where_they_should_be():
    image = make_face(0, "train", 1).image
    train, evaluation = resized_crop_transform(64), eval_transform(64)
    torch.testing.assert_close(evaluation(image), evaluation(image), rtol=0, atol=0)
    torch.manual_seed(0)
    first = train(image)
    torch.manual_seed(0)
    torch.testing.assert_close(train(image), first, rtol=0, atol=0)
    assert first.shape == (3, 64, 64) and not torch.equal(train(image), first)


def test_image_processor_reproduces_eval_transform():
    evaluation = eval_transform(64)
    processor = build_image_processor(64)
    images = [make_face(0, "test", i).image for i in range(3)]
    processed = processor(images, return_tensors="pt")["pixel_values"]
    torch.testing.assert_close(processed, torch.stack([evaluation(i) for i in images]), atol=1e-5, rtol=0)


def test_is_celeba_in_every_source_form_and_not_for_look_alikes(tmp_path):
    # Which licence a model card carries: CelebA's whatever form the data came in, the project's for other data,
    # even when the --dataset_name default (a CelebA Hub id) stays set beside --data_dir or --train_dir.
    release = write_celeba_release(tmp_path / "release", SIZES, SMALL)
    parquet = write_hub_parquet(tmp_path / "hub_copy", SIZES, SMALL)  # the path does not say "celeba"
    parquet_columns = load_source(dataset_name=str(parquet))["train"].column_names
    disk = tmp_path / "disk"
    load_source(data_dir=str(release)).save_to_disk(disk)
    disk_columns = load_source(dataset_name=str(disk))["train"].column_names
    images = write_image_folder(tmp_path / "images", 4, SMALL)
    image_columns = load_source(train_dir=str(images))["train"].column_names

    assert is_celeba("flwrlabs/celeba") and is_celeba("someone/CelebA-HQ-attributes")
    assert not is_celeba("someone/faces") and not is_celeba("synthetic", column_names=CELEBA_ATTRIBUTES)
    assert is_celeba("flwrlabs/celeba", data_dir=str(release))
    assert is_celeba(str(parquet), column_names=parquet_columns)  # the Hub copy's celeb_id column
    assert is_celeba(str(disk), column_names=disk_columns) is False  # 8 of the 40 attributes, no identity column
    assert is_celeba(str(disk), column_names=["image", *CELEBA_ATTRIBUTES])  # all 40
    assert not is_celeba("flwrlabs/celeba", train_dir=str(images), column_names=image_columns)
    assert not is_celeba("flwrlabs/celeba", data_dir=str(images), column_names=image_columns)
    assert not is_celeba(str(parquet), column_names=["image", "Male", "Smiling", "Eyeglasses"])  # a look-alike
    assert describe_source("flwrlabs/celeba", train_dir=str(images)) == ("a local image folder", None)
    assert describe_source("flwrlabs/celeba") == ("`flwrlabs/celeba`", "flwrlabs/celeba")
    name, hub_id = describe_source(str(parquet), celeba=True)
    assert hub_id is None and str(tmp_path) not in name and name.startswith("CelebA")


@pytest.mark.parametrize("layout", ["release", "kaggle", "hub"])
def test_synthetic_files_write_each_celeba_layout_the_loader_reads(tmp_path, layout):
    root = synthetic_files.main([layout, str(tmp_path / layout), "--sizes", "6", "2", "3"])
    where = {"dataset_name": str(root)} if layout == "hub" else {"data_dir": str(root)}
    dataset = load_source(**where, cache_dir=str(tmp_path / "hf"))
    assert {split: len(rows) for split, rows in dataset.items()} == {"train": 6, "validation": 2, "test": 3}
    labels = normalize_labels(dataset, ["Male", "Smiling"])
    for split, count in (("train", 6), ("test", 3)):
        expected = [[make_face(0, split, i).labels[a] for a in ("Male", "Smiling")] for i in range(count)]
        assert [[labels[split][i][a] for a in ("Male", "Smiling")] for i in range(count)] == expected


def test_synthetic_files_command_writes_image_folders(tmp_path):
    command = [sys.executable, "-m", "face_attributes.data.synthetic_files", "folder", str(tmp_path), "--sizes", "4"]
    result = subprocess.run([*command, "2", "1"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Wrote 7 synthetic faces in the folder layout" in result.stdout
    dataset = load_source(
        train_dir=str(tmp_path / "train"), validation_dir=str(tmp_path / "validation"), cache_dir=str(tmp_path / "hf")
    )
    assert len(dataset["train"]) == 4 and len(dataset["validation"]) == 2 and len(os.listdir(tmp_path / "test")) == 2
