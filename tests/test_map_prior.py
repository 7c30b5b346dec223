# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Face regions at training time: landmarks from every source, boxes that move with the crop, and the map prior."""

import json
import shlex

import numpy as np
import pytest
import torch
from datasets import Dataset

from face_attributes.data import landmarks as landmark_module
from face_attributes.data.landmarks import (
    DETECTED_FILE,
    LANDMARK_COLUMNS,
    read_landmark_table,
    split_landmarks,
    write_landmark_table,
)
from face_attributes.data.sources import load_source
from face_attributes.data.synthetic_files import write_celeba_release
from face_attributes.interpretability import LOCAL_PARTS, face_part_boxes, normalized_part_boxes
from face_attributes.training.augmentation import MarginCropAugment
from face_attributes.training.map_prior import MapPrior

import run_classification
from testing_utils import TINY

SIZES = {"train": 24, "validation": 8, "test": 8}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return write_celeba_release(tmp_path_factory.mktemp("celeba"), SIZES)


def test_landmark_table_round_trip_keeps_faces_not_found(tmp_path):
    table = {"000001.jpg": np.arange(10.0).reshape(5, 2), "000002.jpg": None}
    write_landmark_table(tmp_path / DETECTED_FILE, table)
    read = read_landmark_table(tmp_path / DETECTED_FILE)
    np.testing.assert_allclose(read["000001.jpg"], table["000001.jpg"])
    assert read["000002.jpg"] is None


def test_a_bad_landmark_row_names_file_and_line(tmp_path):
    path = tmp_path / "list_landmarks_align_celeba.txt"
    path.write_text(f"1\n{' '.join(LANDMARK_COLUMNS)}\n000001.jpg 1 2 3\n")
    with pytest.raises(ValueError, match=r"list_landmarks_align_celeba.txt, line 3"):
        read_landmark_table(path)


@pytest.mark.parametrize("kaggle", [False, True])
def test_the_release_landmark_file_is_read_for_each_row(tmp_path, kaggle):
    root = write_celeba_release(tmp_path, SIZES, kaggle=kaggle)
    train = load_source(None, data_dir=str(root))["train"]
    points = split_landmarks(train, str(root), detect=False)
    assert len(points) == SIZES["train"] and all(p is not None and p.shape == (5, 2) for p in points)
    # The synthetic faces' regions from these landmarks lie on the boxes the faces were drawn in.
    from face_attributes.data.synthetic import make_face

    eyes = face_part_boxes(points[0], 178, 218)["eyes"][0]
    drawn = make_face(0, "train", 0).boxes["Eyeglasses"]
    assert eyes[0] <= (drawn[0] + drawn[2]) / 2 <= eyes[2] and eyes[1] <= (drawn[1] + drawn[3]) / 2 <= eyes[3]


def test_landmark_columns_of_a_dataset_are_used_as_they_are():
    rows = {"image": [None, None], **{column: [10.0 * i, float("nan")] for i, column in enumerate(LANDMARK_COLUMNS)}}
    points = split_landmarks(Dataset.from_dict(rows), data_dir=None)
    np.testing.assert_allclose(points[0], (10.0 * np.arange(10)).reshape(5, 2))
    assert points[1] is None


def test_without_a_landmark_file_mtcnn_finds_the_missing_ones_once_and_caches_them(tmp_path, monkeypatch):
    root = write_celeba_release(tmp_path, SIZES)
    (root / "list_landmarks_align_celeba.txt").unlink()
    train = load_source(None, data_dir=str(root))["train"]
    write_landmark_table(root / DETECTED_FILE, {"000001.jpg": np.ones((5, 2))})  # found by an earlier run
    calls = []

    class FakeDetector:
        def __init__(self, **kwargs):
            pass

        def __call__(self, image):
            calls.append(image.size)
            return [] if len(calls) == 1 else [(np.array([0, 0, 100, 100]), 0.99, np.full((5, 2), 50.0))]

    monkeypatch.setattr("face_attributes.face_geometry.FaceDetector", FakeDetector)
    monkeypatch.setattr(landmark_module, "SAVE_EVERY", 5)
    points = split_landmarks(train, str(root))
    assert len(calls) == SIZES["train"] - 1  # not the cached one
    np.testing.assert_allclose(points[0], np.ones((5, 2)))
    assert points[1] is None and points[2][0, 0] == 50.0  # the first detection found no face
    cached = read_landmark_table(root / DETECTED_FILE)
    assert len(cached) == SIZES["train"]
    split_landmarks(train, str(root))
    assert len(calls) == SIZES["train"] - 1  # a second run reads the cache


def test_without_paths_or_columns_landmarks_are_a_clear_error():
    from datasets import Features
    from datasets import Image as ImageFeature
    from PIL import Image

    in_memory = Dataset.from_dict({"image": [Image.new("RGB", (8, 8))]}, features=Features({"image": ImageFeature()}))
    with pytest.raises(ValueError, match="need landmarks"):
        split_landmarks(in_memory, data_dir=None)


def test_normalized_part_boxes_are_the_evaluation_boxes_as_fractions():
    points = np.array([[60, 110], [118, 110], [89, 135], [68, 160], [110, 160]], dtype=float)
    boxes = normalized_part_boxes(points, 178, 218)
    evaluation = face_part_boxes(points, 178, 218)
    for index, part in enumerate(LOCAL_PARTS):
        np.testing.assert_allclose(boxes[index] * [178, 218, 178, 218], evaluation[part][0], atol=1e-4)
    assert np.isnan(normalized_part_boxes(None, 178, 218)).all()


def test_region_maps_spread_each_box_over_the_cells_it_covers():
    prior = MapPrior(["Eyeglasses", "Smiling", "Male"], weight=1.0)
    # 64 px input, 4×4 grid (stride 16): cell k is centred on pixel 16k + 0.5, so it spans [16k - 7.5, 16k + 8.5).
    boxes = torch.full((2, len(LOCAL_PARTS), 4), float("nan"))
    boxes[0, 0] = torch.tensor([24.5, 8.5, 40.5, 24.5])  # exactly cell (row 1, column 2)
    regions = prior.region_maps(boxes, (4, 4), 64)
    expected = torch.zeros(4, 4)
    expected[1, 2] = 1.0
    torch.testing.assert_close(regions[0, 0], expected)
    assert regions[1].sum() == 0  # no landmarks: no target
    maps = torch.full((2, 3, 4, 4), 1 / 16)
    uniform_loss = prior.loss(maps, boxes, 64)
    torch.testing.assert_close(uniform_loss, torch.log(torch.tensor(16.0)))  # KL(one cell ‖ uniform)
    maps[0, 0] = 0.9 * expected + 0.1 / 16
    assert prior.loss(maps, boxes, 64) < 0.2 * uniform_loss  # only face 0's Eyeglasses has a region here


def test_only_local_attributes_are_pulled_and_none_is_a_clear_error():
    prior = MapPrior(["Male", "Mustache", "Eyeglasses", "Bald"], weight=0.5)
    assert prior.attributes == ["Mustache", "Eyeglasses"]
    with pytest.raises(ValueError, match="local face region"):
        MapPrior(["Male", "Young"], weight=1.0)


def test_margin_crop_moves_each_box_with_its_pixels_and_draws_the_same_crops():
    side, size = 73, 64
    pixels = torch.zeros(8, 3, side, side, dtype=torch.uint8)
    box = (0.2, 0.3, 0.5, 0.6)  # as fractions of the image
    x0, y0, x1, y1 = (round(v * side) for v in box)
    pixels[:, :, y0:y1, x0:x1] = 255
    boxes = torch.tensor(box).repeat(8, 1, 1)  # (8, 1, 4)
    augment = MarginCropAugment(size, jitter=0.0)
    torch.manual_seed(3)
    images, moved = augment(pixels, True, boxes)
    torch.manual_seed(3)
    torch.testing.assert_close(augment(pixels, True), images)  # the boxes draw nothing from the random stream
    bright = images.mean(dim=1) > 0  # (8, size, size): where the white rectangle landed
    for image, (bx0, by0, bx1, by1) in zip(bright, moved[:, 0].tolist()):
        rows, columns = image.nonzero(as_tuple=True)
        assert rows.min() >= by0 - 1 and rows.max() <= by1 and columns.min() >= bx0 - 1 and columns.max() <= bx1
        assert (bx1 - bx0) * (by1 - by0) == pytest.approx(len(rows), rel=0.1)


def tiny_release_args(release, tmp_path, *extra):
    return [
        *[a for a in TINY if a not in ("--dataset_name", "synthetic")],
        "--data_dir",
        str(release),
        *shlex.split("--augmentation margin_crop --do_train --logging_steps 1 --output_dir"),
        str(tmp_path / "run"),
        *extra,
    ]


def test_the_map_prior_trains_through_the_cli_and_pulls_the_maps_to_the_regions(release, tmp_path):
    def mean_kl(folder) -> float:
        from face_attributes import ResNetLstmAttentionForImageClassification
        from face_attributes.data.labels import config_label_names
        from face_attributes.training.map_prior import training_regions

        model = ResNetLstmAttentionForImageClassification.from_pretrained(folder).eval()
        train = load_source(None, data_dir=str(release))["train"]
        prior = MapPrior(config_label_names(model.config), 1.0)
        augment = MarginCropAugment(64)
        pixels = torch.stack([torch.from_numpy(np.asarray(train[i]["image"].resize((64, 64)))) for i in range(16)])
        images, boxes = augment(
            pixels.permute(0, 3, 1, 2).contiguous(), False, torch.from_numpy(training_regions(train, str(release))[:16])
        )
        with torch.no_grad():
            _, maps = model.logits_and_attention_grid(images)
        return prior.loss(maps, boxes, 64).item()

    steps = "--max_steps 30 --learning_rate 3e-3"
    run_classification.main(tiny_release_args(release, tmp_path / "free", *shlex.split(steps)))
    run_classification.main(
        tiny_release_args(release, tmp_path / "pulled", *shlex.split(f"{steps} --map_prior_weight 3"))
    )
    history = json.loads((tmp_path / "pulled" / "run" / "trainer_state.json").read_text())["log_history"]
    logged = [entry["map_prior_kl"] for entry in history if "map_prior_kl" in entry]
    assert len(logged) == 30 and logged[-1] < logged[0]
    pulled, free = mean_kl(tmp_path / "pulled" / "run"), mean_kl(tmp_path / "free" / "run")
    assert pulled < 0.7 * free


@pytest.mark.parametrize(
    "extra,message",
    [
        ("--augmentation resized_crop", "margin_crop"),
        ("--pooling global_average --sequence_encoder none", "attribute_queries"),
        ("--map_prior_weight -1", "0 \\(off\\) or positive"),
    ],
)
def test_a_map_prior_the_run_cannot_have_is_a_clear_error(release, tmp_path, extra, message):
    args = tiny_release_args(release, tmp_path, "--max_steps", "1", "--map_prior_weight", "1", *shlex.split(extra))
    with pytest.raises(ValueError, match=message):
        run_classification.main(args)
