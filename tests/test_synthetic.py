# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Synthetic faces: deterministic, drawn by region, learnable, and attribute-query attention finds the regions."""

import json
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest

from face_attributes.data.sources import load_synthetic
from face_attributes.data.synthetic import HEIGHT, SYNTHETIC_ATTRIBUTES, WIDTH, make_face
from face_attributes.interpretability import attention_score_table, meets_targets

from testing_utils import script, slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import run_classification

# The default design shrunk: a few channels, stage-3 tokens (9×9 at 144 px) whose values are the stage-2 features
# under them, attribute-query pooling, 2 heads.
TINY_QUERIES = shlex.split(
    "--dataset_name synthetic --label_columns all --backbone_name_or_path none --backbone_embedding_size "
    "16 --backbone_hidden_sizes 16 32 64 64 --backbone_depths 1 1 1 1 --backbone_stage stage3 "
    "--value_stage stage2 --lstm_hidden_size 32 --num_attention_heads 2 --pooling attribute_queries "
    "--image_size 144 --per_device_train_batch_size 32 --learning_rate 3e-3 --max_steps 500 "
    "--eval_strategy no --save_strategy no --max_eval_samples 300 --report_to none --disable_tqdm true "
    "--dataloader_num_workers 2 --dataloader_persistent_workers true --seed 0 --do_train --do_eval"
)


def test_faces_are_deterministic_per_seed_split_and_index():
    first, again = make_face(0, "train", 5), make_face(0, "train", 5)
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image)) and first.labels == again.labels
    assert not np.array_equal(np.asarray(first.image), np.asarray(make_face(1, "train", 5).image))
    assert not np.array_equal(np.asarray(first.image), np.asarray(make_face(0, "test", 5).image))
    assert first.image.size == (WIDTH, HEIGHT) == (178, 218)


def test_every_attribute_has_a_region_inside_the_image_and_both_classes_occur():
    faces = [make_face(0, "train", i) for i in range(300)]
    for name in SYNTHETIC_ATTRIBUTES:
        rate = np.mean([f.labels[name] for f in faces])
        assert 0.05 < rate < 0.95, name
        for face in faces[:20]:
            x0, y0, x1, y1 = face.boxes[name]
            assert 0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT, name
    # Hat and hair at the top, glasses at the eyes, mustache above the mouth.
    face = faces[0]
    assert face.boxes["Wearing_Hat"][1] < face.boxes["Eyeglasses"][1] < face.boxes["Mustache"][1]
    assert face.boxes["Mustache"][3] <= face.boxes["Smiling"][3]


def test_each_box_bounds_every_pixel_its_attribute_changes():
    # Redraw each face with one attribute flipped: everything the attribute draws must lie inside its box.
    visible = {name: 0 for name in SYNTHETIC_ATTRIBUTES}
    for index in range(40):
        face = make_face(0, "validation", index)
        pixels = np.asarray(face.image, dtype=np.int16)
        for name in SYNTHETIC_ATTRIBUTES:
            flipped = make_face(0, "validation", index, labels={**face.labels, name: 1 - face.labels[name]})
            changed = (np.abs(np.asarray(flipped.image, dtype=np.int16) - pixels) > 0).any(axis=-1)  # (218, 178)
            ys, xs = np.nonzero(changed)
            if len(ys) == 0:  # e.g. blond hair on a bald head: nothing to draw
                continue
            visible[name] += 1
            boxes = [face.boxes[name], flipped.boxes[name]]  # hair reaches further on women: take both faces'
            x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
            x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
            assert x0 - 1 <= xs.min() and xs.max() <= x1 + 1 and y0 - 1 <= ys.min() and ys.max() <= y1 + 1, (
                name,
                index,
                (xs.min(), ys.min(), xs.max(), ys.max()),
                (x0, y0, x1, y1),
            )
    assert all(count >= 30 for count in visible.values()), visible


def test_synthetic_source_is_built_through_datasets_and_cached(tmp_path):
    dataset = load_synthetic(sizes={"train": 20, "validation": 5, "test": 5}, cache_dir=str(tmp_path))
    assert {k: len(v) for k, v in dataset.items()} == {"train": 20, "validation": 5, "test": 5}
    row = dataset["train"][3]
    assert (
        row["image"].size == (178, 218) and {a: row[a] for a in SYNTHETIC_ATTRIBUTES} == make_face(0, "train", 3).labels
    )
    again = load_synthetic(sizes={"train": 20, "validation": 5, "test": 5}, cache_dir=str(tmp_path))
    assert again["train"].cache_files == dataset["train"].cache_files


@pytest.fixture(scope="module")
def trained_queries(tmp_path_factory) -> Path:
    output_dir = tmp_path_factory.mktemp("queries") / "model"
    run_classification.main([*TINY_QUERIES, "--output_dir", str(output_dir)])
    return output_dir


@slow
def test_tiny_model_learns_the_synthetic_faces(trained_queries):
    results = json.loads((trained_queries / "all_results.json").read_text())
    assert results["eval_accuracy"] >= 0.90


@slow
def test_attention_score_of_the_trained_model_points_at_the_evidence(trained_queries, capsys):
    output = trained_queries / "scores.json"
    scores = script("attention_maps").main(
        ["--model", str(trained_queries), "--score", "--num_images", "128", "--score_output", str(output)]
    )["regions"]
    assert json.loads(output.read_text())["regions"] == scores and set(scores) == set(SYNTHETIC_ATTRIBUTES)
    assert "| Eyeglasses |" in capsys.readouterr().out
    # 500 steps of a tiny model already point at the glasses, the smile and the hat as the README demo's model
    # does (pointing game ≥ 0.8, energy ≥ the target); the full test of every attribute is the next one.
    for name in ("Eyeglasses", "Smiling", "Wearing_Hat"):
        assert meets_targets(scores[name]), attention_score_table({name: scores[name]})


@slow
def test_the_readme_demo_model_points_at_the_evidence(tmp_path):
    # The README demo command itself (about 3 minutes on 2 cores), then README's --score command: what the issue asks
    # of the README demo's model, for every attribute: pointing game ≥ 0.8 and energy in the box ≥ 3× its share
    # (for a large box, halfway between its share and 1), with mean validation accuracy ≥ 98 %.
    from testing_utils import readme_demo_command

    output_dir = tmp_path / "synthetic"
    demo = readme_demo_command()
    demo[demo.index("--output_dir") + 1] = str(output_dir)
    run_classification.main(demo)
    assert json.loads((output_dir / "all_results.json").read_text())["eval_accuracy"] >= 0.98
    scores = script("attention_maps").main(["--model", str(output_dir), "--score"])["regions"]
    missed = {name: s for name, s in scores.items() if not meets_targets(s)}
    assert len(scores) == 8 and not missed, attention_score_table(missed)


def test_hard_setting_is_another_deterministic_set_of_faces_with_boxes_inside():
    hard, default = make_face(0, "validation", 7, "hard"), make_face(0, "validation", 7)
    assert not np.array_equal(np.asarray(hard.image), np.asarray(default.image))
    assert np.array_equal(np.asarray(hard.image), np.asarray(make_face(0, "validation", 7, "hard").image))
    for face in (make_face(0, "train", i, "hard") for i in range(40)):
        assert all(0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT for x0, y0, x1, y1 in face.boxes.values())
    with pytest.raises(ValueError, match="hard"):
        make_face(0, "train", 0, "harder")


def test_hard_setting_through_load_source_and_a_clear_error_for_unknown_settings(tmp_path):
    from face_attributes.data.sources import load_source

    sizes = {"train": 4, "validation": 2, "test": 2}
    hard = load_source("synthetic", "hard", synthetic_sizes=sizes, cache_dir=str(tmp_path))
    assert np.array_equal(
        np.asarray(hard["validation"][1]["image"]),
        np.asarray(
            load_source("synthetic", "hard", synthetic_sizes=sizes, cache_dir=str(tmp_path))["validation"][1]["image"]
        ),
    )
    default = load_source("synthetic", synthetic_sizes=sizes, cache_dir=str(tmp_path))
    assert hard["train"].cache_files != default["train"].cache_files
    with pytest.raises(ValueError, match="--dataset_config_name 'extreme' is not a synthetic setting"):
        load_source("synthetic", "extreme", synthetic_sizes=sizes, cache_dir=str(tmp_path))


@slow
def test_probe_finds_the_glasses_where_the_trained_model_looks_for_them(trained_queries, capsys):
    # What the probe is for: the rows over the glasses read them (ROC-AUC ≥ 0.9) and the top row barely does, and the
    # trained model's Eyeglasses query puts most of its attention on those rows.
    result = script("attention_maps").main(
        ["--model", str(trained_queries), "--probe", "Eyeglasses", "--num_images", "128", "--probe_train_faces", "384"]
    )
    assert "Linear probe for Eyeglasses" in capsys.readouterr().out
    box_rows = [row for row, share in enumerate(result["row_in_box"]) if share > 0.5]
    best = result["probe_auc"].max(axis=1)  # per row, the best position's ROC-AUC
    assert box_rows and max(best[box_rows]) >= 0.9 and best[0] <= 0.75, best
    assert result["attention"][box_rows].sum() >= 0.5, result["attention"].sum(axis=1)
