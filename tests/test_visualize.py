# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Looking inside: attention-map grids, predictions CSV, training plots (the scripts users run)."""

import csv
import json
from pathlib import Path

import pytest
import torch
from PIL import Image

import face_attributes.interpretability as interpretability
import face_attributes.visualize as visualize
from face_attributes import ResNetLstmAttentionForImageClassification
from face_attributes.data.images import build_image_processor
from face_attributes.data.synthetic import make_face
from face_attributes.inference.thresholds import save_thresholds

from testing_utils import LABELS, save_tiny_model, script

ROOT = Path(__file__).resolve().parents[1]


def face_files(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        make_face(0, "test", i).image.save(folder / f"face_{i}.jpg")
    return folder


@pytest.fixture
def plotted(monkeypatch) -> dict:
    """The maps and titles the picture script hands to `plot_attention_grid` (which still draws them)."""
    captured = {}
    plot = visualize.plot_attention_grid

    def spy(images, maps, probabilities, titles, *args, **kwargs):
        captured.update(maps=maps, titles=titles)
        return plot(images, maps, probabilities, titles, *args, **kwargs)

    monkeypatch.setattr(visualize, "plot_attention_grid", spy)
    return captured


@pytest.mark.parametrize("pooling,maps_per_face", [("attribute_queries", 2), ("self_attention_mean", 1)])
def test_attention_grid_png_size_and_maps_equal_model_attentions(tmp_path, plotted, pooling, maps_per_face):
    model_dir = save_tiny_model(tmp_path / "model", pooling=pooling)
    images = face_files(tmp_path / "faces", 3)
    output = tmp_path / "grid.png"
    script("attention_maps").main(
        [
            "--model",
            str(model_dir),
            "--images",
            str(images),
            "--output",
            str(output),
            "--attributes",
            "Smiling",
            "Eyeglasses",
        ]
    )
    with Image.open(output) as picture:
        assert picture.size == ((1 + maps_per_face + 1) * 200, 3 * 200)

    model = ResNetLstmAttentionForImageClassification.from_pretrained(model_dir).eval()
    processor = build_image_processor(64)
    pixel_values = processor([Image.open(images / f"face_{i}.jpg") for i in range(3)], return_tensors="pt")[
        "pixel_values"
    ]
    with torch.no_grad():
        attentions = model(pixel_values, output_attentions=True).attentions[0].mean(dim=1)  # (B, Q, 4)
    if pooling == "attribute_queries":
        expected = attentions[:, [1, 2]]
        assert plotted["titles"] == ["Smiling", "Eyeglasses"]
    else:
        expected = attentions.mean(dim=1, keepdim=True)
    torch.testing.assert_close(plotted["maps"], expected.reshape(3, maps_per_face, 2, 2))


def test_the_picture_draws_the_contribution_read_out_with_method(tmp_path, plotted):
    from face_attributes.interpretability import contribution_maps

    model_dir = save_tiny_model(tmp_path / "model", attention_keys="local", attention_grid="value_stage")
    images = face_files(tmp_path / "faces", 2)
    arguments = ["--model", str(model_dir), "--images", str(images), "--attributes", "Smiling", "Eyeglasses"]
    script("attention_maps").main([*arguments, "--output", str(tmp_path / "grid.png"), "--method", "contribution"])
    model = ResNetLstmAttentionForImageClassification.from_pretrained(model_dir).eval()
    pixel_values = build_image_processor(64)(
        [Image.open(images / f"face_{i}.jpg") for i in range(2)], return_tensors="pt"
    )["pixel_values"]
    expected, _ = contribution_maps(model, pixel_values, ["Smiling", "Eyeglasses"])
    assert plotted["titles"] == ["Smiling", "Eyeglasses"]
    torch.testing.assert_close(plotted["maps"], expected)


def test_the_picture_compares_models_on_the_same_faces_in_a_palette(tmp_path):
    first = save_tiny_model(tmp_path / "first")
    second = save_tiny_model(tmp_path / "second", attention_normalization="entmax15")
    images = face_files(tmp_path / "faces", 2)
    output = tmp_path / "compare.png"
    arguments = ["--model", str(first), "--compare", str(second), "--images", str(images), "--output", str(output)]
    script("attention_maps").main([*arguments, "--attributes", "Smiling", "--colors", "64", "--titles", "a", "b"])
    with Image.open(output) as picture:
        assert picture.mode == "P" and len(picture.getcolors()) <= 64
        assert picture.size == ((1 + 1 + 1) * 200, 2 * (2 * 200 + 24))  # two pictures, each under its title band
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compare.png", "faces", "first", "second"]


def test_predict_writes_a_row_per_readable_image_and_reports_unreadable(tmp_path, capsys):
    model_dir = save_tiny_model(tmp_path / "model", pooling="self_attention_mean")
    folder = face_files(tmp_path / "faces", 4)
    (folder / "broken.jpg").write_bytes(b"not an image")
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.txt").write_text("not an image, not even named like one")
    output = tmp_path / "predictions.csv"
    script("predict").main(
        ["--model", str(model_dir), "--inputs", str(folder), "--output", str(output), "--batch_size", "3"]
    )
    rows = list(csv.DictReader(open(output)))
    assert [r["file"] for r in rows] == [str(folder / f"face_{i}.jpg") for i in range(4)]  # as given
    assert all(r["face"] == "0" and r["detection_score"] == "" for r in rows)  # CelebA-shaped: taken as aligned
    assert all(0 <= float(r["Male_probability"]) <= 1 and r["Male"] in ("0", "1") for r in rows)
    out = capsys.readouterr().out
    assert "Wrote 4 row(s)" in out and "skipped 2 unreadable" in out

    save_thresholds(str(model_dir), LABELS, torch.tensor([0.0, 1.01, 0.0]).numpy())
    script("predict").main(
        [
            "--model",
            str(model_dir),
            "--inputs",
            str(folder / "face_*.jpg"),
            "--output",
            str(output),
            "--threshold",
            "saved",
        ]
    )
    rows = list(csv.DictReader(open(output)))
    assert len(rows) == 4 and all((r["Male"], r["Smiling"], r["Eyeglasses"]) == ("1", "0", "1") for r in rows)


def write_state(path: Path, with_eval: bool) -> Path:
    history = [{"step": s, "loss": 1.0 / s, "epoch": s / 10} for s in (1, 2, 3, 4)]
    if with_eval:
        history += [{"step": s, "eval_loss": 0.5, "eval_accuracy": 0.8, "eval_roc_auc": 0.9} for s in (2, 4)]
    path.mkdir(parents=True, exist_ok=True)
    (path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    return path


@pytest.mark.parametrize("with_eval", [True, False])
def test_training_plot_with_and_without_eval(tmp_path, capsys, with_eval):
    run = write_state(tmp_path / "run", with_eval)
    script("plot_training").main([str(run)])
    with Image.open(run / "training_curves.png") as picture:
        assert picture.size == ((1200 if with_eval else 600), 400)
    out = capsys.readouterr().out
    assert "train loss" in out and (("eval_accuracy" in out) == with_eval)


@pytest.mark.parametrize("stage,stride", [("stage2", 8), ("stage3", 16)])
def test_maps_put_each_token_at_its_receptive_field_centre(stage, stride):
    # Where a token "looks" in the input: the centre of mass of its gradient, in a randomly initialised ResNet-18.
    from transformers import AutoBackbone, ResNetConfig

    from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE

    torch.manual_seed(0)
    backbone = AutoBackbone.from_config(ResNetConfig(**{**RESNET18_BACKBONE, "out_features": [stage]})).eval()
    pixels = torch.randn(1, 3, 224, 224, requires_grad=True)
    feature_map = backbone(pixels).feature_maps[-1]
    row, column = feature_map.shape[-2] // 2, feature_map.shape[-1] // 2 - 1
    feature_map[0, :, row, column].pow(2).sum().backward()
    gradient = pixels.grad[0].abs().sum(dim=0)  # (224, 224)
    centres = torch.arange(224.0) + 0.5
    true_y = float((gradient.sum(dim=1) * centres).sum() / gradient.sum())
    true_x = float((gradient.sum(dim=0) * centres).sum() / gradient.sum())

    # A one-token map drawn over the 224×224 input itself peaks there, not at the centre of the token's band.
    one_hot = torch.zeros(1, 1, *feature_map.shape[-2:])
    one_hot[0, 0, row, column] = 1
    heat = interpretability.upsample_to_image(one_hot, (224, 224), (224, 224))[0, 0]
    peak_y, peak_x = divmod(int(heat.argmax()), 224)
    assert abs(peak_y + 0.5 - true_y) <= 1 and abs(peak_x + 0.5 - true_x) <= 1, (peak_y, peak_x, true_y, true_x)
    assert abs((row + 0.5) * stride - true_y) >= stride / 2 - 1  # where an even split into bands would draw it
    # The probe's row centres (`token_centres`) are the same places.
    centres = interpretability.token_centres(224, feature_map.shape[-2], 224)
    assert abs(float(centres[row]) + 0.5 - true_y) <= 1


def fake_recipe_run(
    folder: Path, model: str, seed: int, epochs: float, minutes: float, mean: float, male: float, size: int = 112
):
    run = folder / model / f"seed{seed}"
    run.mkdir(parents=True)
    results = {"epoch": epochs, "train_runtime": 60 * minutes, "train_samples_per_second": 100.0}
    results.update(test_accuracy=mean, test_accuracy_Male=male)
    (run / "all_results.json").write_text(json.dumps(results))
    (run / "config.json").write_text(json.dumps({"image_size": size}))


def test_budget_curve_table_and_plot_from_recipe_folders(tmp_path, capsys):
    for epochs, minutes in ((1, 6.0), (2, 12.5)):
        folder = tmp_path / f"{epochs}ep"
        fake_recipe_run(folder, "plain", 0, epochs, minutes, 0.87 + epochs / 100, 0.92)
        fake_recipe_run(folder, "bilstm-queries", 0, epochs, minutes + 1, 0.86 + epochs / 100, 0.93)
        fake_recipe_run(folder, "plain", 1, epochs, minutes, 0.5, 0.5)  # another seed: not drawn
    (tmp_path / "2ep" / "bilstm-queries" / "seed0" / "all_results.json").unlink()  # unfinished: left out
    fake_recipe_run(tmp_path / "150steps", "plain", 0, 150 / 587, 1.5, 0.85, 0.88)  # MAX_STEPS=150: mid-epoch
    fake_recipe_run(tmp_path / "2ep-144", "plain", 0, 2, 20.0, 0.895, 0.93, size=144)
    output = tmp_path / "budget.png"
    folders = [str(tmp_path / name) for name in ("1ep", "2ep", "150steps", "2ep-144")]
    script("plot_budget").main([*folders, "--output", str(output)])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| default (BiLSTM + attribute queries) | 1 ep, 112 px | 7.0 | 100.0 | 87.00 % | 93.00 % |",
        "| plain ResNet-18 | 0.26 ep, 112 px | 1.5 | 100.0 | 85.00 % | 88.00 % |",
        "| plain ResNet-18 | 1 ep, 112 px | 6.0 | 100.0 | 88.00 % | 92.00 % |",
        "| plain ResNet-18 | 2 ep, 112 px | 12.5 | 100.0 | 89.00 % | 92.00 % |",
        "| plain ResNet-18 | 2 ep, 144 px | 20.0 | 100.0 | 89.50 % | 93.00 % |",
    ]
    assert Image.open(output).size == (1100, 420)


def test_budget_plot_draws_each_image_size_as_a_line_of_its_own(tmp_path):
    def point(model, size, epochs, minutes, accuracy):
        label = f"{epochs} ep, {size} px"
        return {"model": model, "image size": size, "label": label, "minutes": minutes, "mean test accuracy": accuracy}

    points = [point("plain", 112, 1, 6, 87), point("plain", 112, 2, 12, 88), point("default", 112, 2, 11, 88.1)]
    assert visualize.plot_budget(points, str(tmp_path / "one_size.png")) == ["plain", "default"]
    # A 144-px run is not one more budget of the 112-px line: joined to it, the line would fall from 2 to 4 epochs.
    points.append(point("plain", 144, 4, 40, 87.5))
    names = visualize.plot_budget(points, str(tmp_path / "two_sizes.png"))
    assert names == ["plain, 112 px", "plain, 144 px", "default, 112 px"]
    assert (tmp_path / "two_sizes.png").exists()
