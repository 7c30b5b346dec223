# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Where the model looks: regions from landmarks, the region scores, the deletion test and Grad-CAM, on faces
whose regions are known."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from face_attributes import ResNetLstmAttentionForImageClassification
from face_attributes.data.images import build_image_processor
from face_attributes.data.sources import CELEBA_ATTRIBUTES
from face_attributes.data.synthetic import SYNTHETIC_ATTRIBUTES, make_face
from face_attributes.inference.faces import CELEBA_SIZE, CELEBA_TEMPLATE
from face_attributes.interpretability import (
    FACE_PART_OF,
    RegionFace,
    deletion_table,
    deletion_test,
    effect_ratio,
    face_part_boxes,
    grad_cam_maps,
    landmark_regions,
    most_correlated,
    occlude,
    score_attention,
)

from testing_utils import tiny_backbone, tiny_config, write_celeba_release

# Five landmarks where CelebA's alignment puts them: eyes and mouth corners about the template's mouth centre.
MOUTH = CELEBA_TEMPLATE[2]
CELEBA_LANDMARKS = np.array([CELEBA_TEMPLATE[0], CELEBA_TEMPLATE[1], [89.0, 134.0], MOUTH - [16, 0], MOUTH + [16, 0]])


def inside(point, boxes) -> bool:
    return any(x0 <= point[0] <= x1 and y0 <= point[1] <= y1 for x0, y0, x1, y1 in boxes)


def test_face_parts_from_landmarks_hold_their_landmarks_in_face_order():
    parts = face_part_boxes(CELEBA_LANDMARKS, *CELEBA_SIZE)
    assert inside(CELEBA_LANDMARKS[0], parts["eyes"]) and inside(CELEBA_LANDMARKS[1], parts["eyes"])
    assert inside(CELEBA_LANDMARKS[2], parts["nose"])
    assert inside(CELEBA_LANDMARKS[3], parts["mouth"]) and inside(CELEBA_LANDMARKS[4], parts["mouth"])
    assert not inside(CELEBA_LANDMARKS[2], parts["mouth"]) and not inside(CELEBA_LANDMARKS[3], parts["eyes"])
    centre_y = {part: (boxes[0][1] + boxes[0][3]) / 2 for part, boxes in parts.items()}
    order = ["above_the_eyes", "eyes", "nose", "upper_lip", "mouth", "chin_and_jaw", "below_the_chin"]
    assert [centre_y[p] for p in order] == sorted(centre_y[p] for p in order)
    assert len(parts["ears"]) == 2 and parts["ears"][0][2] <= CELEBA_LANDMARKS[0][0] <= parts["ears"][1][0] + 60
    for boxes in parts.values():
        assert all(0 <= x0 < x1 <= CELEBA_SIZE[0] and 0 <= y0 < y1 <= CELEBA_SIZE[1] for x0, y0, x1, y1 in boxes)


def test_landmark_regions_cover_the_issue_attributes_and_only_those():
    image = Image.new("RGB", CELEBA_SIZE)
    face = landmark_regions(image, CELEBA_LANDMARKS, ["Eyeglasses", "Mustache", "Wearing_Earrings", "Male", "Young"])
    assert set(face.boxes) == {"Eyeglasses", "Mustache", "Wearing_Earrings"}
    # 28 of CelebA's 40 attributes; the other 12 (Male, Young, Attractive, Blurry, ...) are about the whole face.
    assert len(FACE_PART_OF) == 28 and set(FACE_PART_OF) <= set(CELEBA_ATTRIBUTES)


class MapModel(torch.nn.Module):
    """A stand-in model with known maps and known evidence: attribute `a`'s logit is the mean brightness of the
    input's `regions[a]` (token cells), and its attention map is exactly that region."""

    def __init__(self, names: list[str], regions: dict[str, tuple[slice, slice]], grid: int = 4):
        super().__init__()
        self.config = SimpleNamespace(
            pooling="attribute_queries", id2label=dict(enumerate(names)), num_labels=len(names)
        )
        self.names, self.regions, self.grid = names, regions, grid
        self.has_attention_maps = self.per_label_attention_maps = True  # as an attribute-queries model

    @property
    def device(self):
        return torch.device("cpu")

    def _cells(self, pixel_values):
        return torch.nn.functional.adaptive_avg_pool2d(pixel_values.mean(1), self.grid)  # (B, grid, grid)

    def logits_and_attention_grid(self, pixel_values):
        maps = torch.zeros(len(pixel_values), len(self.names), self.grid, self.grid)
        for i, name in enumerate(self.names):
            maps[:, i][(slice(None), *self.regions[name])] = 1.0
        maps = maps / maps.sum(dim=(2, 3), keepdim=True)
        return self.forward(pixel_values).logits, maps

    def forward(self, pixel_values):
        cells = self._cells(pixel_values)
        logits = torch.stack([cells[(slice(None), *self.regions[n])].mean(dim=(1, 2)) / 2 for n in self.names], 1)
        return SimpleNamespace(logits=logits)


def bright_faces(count: int, size: int = 64) -> list:
    """Grey images with a bright top-left quarter; regions: "top_left" there, "bottom_right" opposite."""
    faces = []
    for i in range(count):
        pixels = np.full((size, size, 3), 60 + i, dtype=np.uint8)
        pixels[: size // 2, : size // 2] = 230
        boxes = {"top_left": (0, 0, size // 2, size // 2), "bottom_right": (size // 2, size // 2, size, size)}
        faces.append(RegionFace(Image.fromarray(pixels), boxes))
    return faces


def map_model() -> MapModel:
    return MapModel(
        ["top_left", "bottom_right"],
        {"top_left": (slice(0, 2), slice(0, 2)), "bottom_right": (slice(2, 4), slice(2, 4))},
    )


def test_region_scores_of_maps_that_sit_on_their_regions():
    scores = score_attention(map_model(), build_image_processor(64), bright_faces(3))
    for name in ("top_left", "bottom_right"):
        assert scores[name]["pointing_game"] == 1.0 and scores[name]["faces"] == 3
        assert scores[name]["area_share"] == pytest.approx(0.25)
        assert scores[name]["energy"] > 0.5  # 2× its share: bilinear upsampling spreads a little past the edge


def test_regions_as_lists_of_boxes_score_like_the_union():
    faces = bright_faces(2)
    for face in faces:  # the top-left quarter as two halves
        face.boxes["top_left"] = [(0, 0, 32, 16), (0, 16, 32, 32)]
    scores = score_attention(map_model(), build_image_processor(64), faces)
    assert scores["top_left"]["area_share"] == pytest.approx(0.25) and scores["top_left"]["pointing_game"] == 1.0


def test_deletion_hides_the_evidence_only_where_the_map_points():
    changes = deletion_test(map_model(), build_image_processor(64), bright_faces(4), ["top_left"] + ["bottom_right"])
    top_left = changes["top_left"]
    assert top_left["control_attribute"] == "bottom_right"
    # Hiding the bright quarter's brightest tenth moves its logit; the moved mask and the other map hide grey only.
    assert top_left["region"] > 0.05 and top_left["region"] > 5 * max(top_left["moved"], top_left["other_attribute"])


def test_deletion_conditioned_on_a_correlate_splits_the_faces_by_its_label():
    faces = bright_faces(6)
    for i, face in enumerate(faces):
        face.labels = {"correlate": int(i < 2)}
    changes = deletion_test(
        map_model(),
        build_image_processor(64),
        faces,
        ["top_left", "bottom_right"],
        correlates={"top_left": "correlate"},
    )
    strata = changes["top_left"]["conditioned"]
    assert strata["on"] == "correlate" and (strata["0"]["faces"], strata["1"]["faces"]) == (4, 2)
    for kind in ("region", "moved", "other_outside_region"):  # the two strata average back to the whole
        whole = (4 * strata["0"][kind] + 2 * strata["1"][kind]) / 6
        assert whole == pytest.approx(changes["top_left"][kind])
    assert effect_ratio(strata["0"]) > 5 and effect_ratio(strata["1"]) > 5
    assert "conditioned" not in changes["bottom_right"]
    assert "correlate: " in deletion_table(changes)
    with pytest.raises(ValueError, match="needs its label"):
        deletion_test(map_model(), build_image_processor(64), faces, ["top_left"], correlates={"top_left": "other"})


def test_most_correlated_names_the_label_that_travels_with_each_attribute():
    rng = np.random.default_rng(0)
    lipstick = rng.integers(0, 2, 500)
    makeup = np.where(rng.random(500) < 0.9, lipstick, 1 - lipstick)
    noise = rng.integers(0, 2, 500)
    labels = np.stack([lipstick, noise, makeup], 1)
    names = ["Wearing_Lipstick", "Blurry", "Heavy_Makeup"]
    assert most_correlated(labels, names, ["Wearing_Lipstick", "Heavy_Makeup"]) == {
        "Wearing_Lipstick": "Heavy_Makeup",
        "Heavy_Makeup": "Wearing_Lipstick",
    }


class LeakyMapModel(MapModel):
    """MapModel whose "leaky" map peaks on the top-left quarter (another attribute's evidence) and also covers the
    top-right one, as a real Eyeglasses map with a second peak on the mouth."""

    def logits_and_attention_grid(self, pixel_values):
        logits, maps = super().logits_and_attention_grid(pixel_values)
        leaky = self.names.index("leaky")
        maps[:, leaky, :2, :2] *= 2  # (B, M, grid, grid): twice the weight where top_left's evidence is
        return logits, maps / maps.sum(dim=(2, 3), keepdim=True)


def test_the_outside_region_control_never_hides_the_attributes_own_evidence():
    model = LeakyMapModel(
        ["top_left", "leaky"], {"top_left": (slice(0, 2), slice(0, 2)), "leaky": (slice(0, 2), slice(0, 4))}
    )
    faces = bright_faces(4)
    for face in faces:  # leaky's own region is the bottom-right quarter, so it is top_left's control attribute
        face.boxes["leaky"] = face.boxes.pop("bottom_right")
    top_left = deletion_test(model, build_image_processor(64), faces, ["top_left", "leaky"])["top_left"]
    assert top_left["control_attribute"] == "leaky"
    # The leaky map's top 10 % lies on top_left's bright quarter: that control hides the evidence too.
    assert top_left["other_attribute"] > 0.5 * top_left["region"] > 0.025
    # Kept out of top_left's region it hides grey pixels of the top-right quarter only.
    assert top_left["region"] > 5 * top_left["other_outside_region"]


def test_blur_fill_changes_only_the_masked_pixels_and_keeps_their_colours():
    image = make_face(0, "test", 0).image
    mask = torch.zeros(image.height, image.width, dtype=torch.bool)
    mask[100:130, 50:120] = True  # across the eyes
    before = np.asarray(image, dtype=np.float64)
    for fill in ("mean", "blur"):
        after = np.asarray(occlude(image, mask, fill), dtype=np.float64)
        assert np.array_equal(after[~mask.numpy()], before[~mask.numpy()])
        assert np.abs(after[mask.numpy()] - before[mask.numpy()]).mean() > 5  # the detail is gone
    patch = before[mask.numpy()].mean(axis=0)  # the patch's own colour: blur stays nearer to it than the mean fill
    blurred = np.asarray(occlude(image, mask, "blur"), dtype=np.float64)[mask.numpy()].mean(axis=0)
    flat = np.asarray(occlude(image, mask, "mean"), dtype=np.float64)[mask.numpy()].mean(axis=0)
    assert np.abs(blurred - patch).sum() < np.abs(flat - patch).sum()
    with pytest.raises(ValueError, match="Unknown deletion fill 'noise'"):
        occlude(image, mask, "noise")
    changes = deletion_test(
        map_model(), build_image_processor(64), bright_faces(4), ["top_left", "bottom_right"], fill="blur"
    )
    assert changes["top_left"]["region"] > 2 * changes["top_left"]["moved"]


def test_grad_cam_of_the_plain_resnet_is_its_class_activation_map():
    # With global average pooling and a linear classifier Grad-CAM reduces to CAM: ReLU(W_l · feature map).
    torch.manual_seed(0)
    config = tiny_config(
        sequence_encoder="none", pooling="global_average", backbone_config=tiny_backbone(), num_labels=3
    )
    model = ResNetLstmAttentionForImageClassification(config).eval()
    pixel_values = torch.randn(2, 3, 64, 64)
    maps, probabilities, titles = grad_cam_maps(model, pixel_values, ["LABEL_1", "LABEL_2"])
    assert maps.shape == (2, 2, 2, 2) and titles == ["LABEL_1", "LABEL_2"]
    with torch.no_grad():
        feature_map = model.model.forward_features(pixel_values)  # (B, C, H, W)
        cam = torch.relu(torch.einsum("lc,bchw->blhw", model.classifier.weight[1:], feature_map))
        torch.testing.assert_close(probabilities, torch.sigmoid(model(pixel_values).logits))
    expected = cam / cam.sum(dim=(2, 3), keepdim=True)
    torch.testing.assert_close(
        maps, torch.where(cam.sum((2, 3), keepdim=True) > 0, expected, torch.full_like(cam, 0.25))
    )
    finer, _, _ = grad_cam_maps(model, pixel_values, ["LABEL_1"], stage="stage3")  # the stage before: 4×4 at 64 px
    assert finer.shape == (2, 1, 4, 4) and torch.allclose(finer.sum(dim=(2, 3)), torch.ones(2, 1))


def test_grad_cam_goes_through_the_same_region_scores_on_synthetic_faces():
    torch.manual_seed(0)
    names = dict(enumerate(SYNTHETIC_ATTRIBUTES))
    config = tiny_config(
        sequence_encoder="none",
        pooling="global_average",
        backbone_config=tiny_backbone(),
        num_labels=len(names),
        id2label=names,
    )
    model = ResNetLstmAttentionForImageClassification(config).eval()
    faces = [make_face(0, "test", i) for i in range(4)]
    scores = score_attention(model, build_image_processor(64), faces, method="grad_cam")
    assert set(scores) == set(SYNTHETIC_ATTRIBUTES)
    with pytest.raises(ValueError, match="Unknown map method 'gradcam'"):
        score_attention(model, build_image_processor(64), faces, method="gradcam")
    assert all(0 <= s["pointing_game"] <= 1 and 0 < s["energy"] <= 1 and s["faces"] == 4 for s in scores.values())


def test_attention_maps_script_scores_real_crops_with_cached_landmarks(tmp_path, capsys):
    from testing_utils import script

    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 2, "validation": 2, "test": 3})
    (data_dir / "img_align_celeba" / "000007.jpg").unlink()  # a partial release: one test image is missing
    landmarks = tmp_path / "landmarks.json"
    # Detection needs real faces; the script reads cached landmarks first (one crop "without a face").
    landmarks.write_text(json.dumps({"000005.jpg": CELEBA_LANDMARKS.tolist(), "000006.jpg": None}))
    torch.manual_seed(0)
    names = dict(enumerate(SYNTHETIC_ATTRIBUTES))
    model_dir = tmp_path / "model"
    ResNetLstmAttentionForImageClassification(tiny_config(num_labels=len(names), id2label=names)).save_pretrained(
        model_dir
    )
    build_image_processor(64).save_pretrained(model_dir)
    output = tmp_path / "scores.json"
    scores = script("attention_maps").main(
        [
            "--model",
            str(model_dir),
            "--score",
            "--data_dir",
            str(data_dir),
            "--split",
            "test",
            "--landmarks",
            str(landmarks),
            "--deletion",
            "--score_output",
            str(output),
        ]
    )
    printed = capsys.readouterr().out
    assert "Landmarks found on 1 of 2 crops (1 without a detected face, left out)." in printed
    regions = {"Eyeglasses", "Mustache", "Smiling", "Wearing_Lipstick", "Wearing_Hat", "Blond_Hair", "Bald"}
    assert set(scores["regions"]) == regions and set(scores["deletion"]) == regions  # Male has no region
    assert json.loads(output.read_text()) == scores and "| Mustache |" in printed
    assert all(
        set(c) >= {"region", "moved", "other_attribute", "other_outside_region"} for c in scores["deletion"].values()
    )
    assert "that map's top 10 % outside this region" in printed  # the third control's column


def test_linear_probe_reads_a_planted_signal_and_not_noise():
    from face_attributes.interpretability.probe import linear_probe_auc

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    noise = torch.tensor(rng.normal(size=(400, 8)), dtype=torch.float32)
    signal = noise.clone()
    signal[:, 3] += torch.tensor(labels * 4.0, dtype=torch.float32)  # two standard deviations either side of 2
    assert linear_probe_auc(signal[:300], labels[:300], signal[300:], labels[300:]) >= 0.97
    chance = linear_probe_auc(noise[:300], labels[:300], noise[300:], labels[300:])
    assert 0.3 <= chance <= 0.7 and chance == linear_probe_auc(noise[:300], labels[:300], noise[300:], labels[300:])
    assert np.isnan(linear_probe_auc(signal[:300], labels[:300], signal[300:], np.zeros(100)))  # one class: no AUC


def test_probe_script_reports_each_row_of_the_attention_grid(tmp_path, capsys):
    from face_attributes.interpretability.maps import token_centres

    from testing_utils import save_tiny_model, script

    # Layer3 tokens at 64 px: a 4×4 grid, rows over image y 1, 56, 110 and 165 of the 218-px synthetic faces.
    model_dir = save_tiny_model(tmp_path / "model", SYNTHETIC_ATTRIBUTES, backbone_config=tiny_backbone(("stage3",)))
    arguments = ["--model", str(model_dir), "--probe", "Eyeglasses", "--num_images", "24", "--probe_train_faces", "40"]
    result = script("attention_maps").main(arguments)
    printed = capsys.readouterr().out
    assert result["probe_auc"].shape == result["attention"].shape == (4, 4)
    assert result["attention"].sum() == pytest.approx(1.0, abs=1e-4)  # each face's map sums to 1 over the grid
    assert result["row_centres"] == pytest.approx(token_centres(64, 4, 218).tolist())
    # The glasses lie across image y ≈ 94–122 on every face: row 2 only.
    assert result["row_in_box"] == [0.0, 0.0, 1.0, 0.0]
    assert "| 2 | 110 | 1.00 |" in printed and "Linear probe for Eyeglasses" in printed
    glasses = np.mean([make_face(0, "validation", i).labels["Eyeglasses"] for i in range(24)])
    assert all(0 <= a <= 1 for a in result["probe_auc"].flat) and result["positives"] == pytest.approx(glasses)
    with pytest.raises(ValueError, match="Unknown attribute 'Beard'"):
        script("attention_maps").main([*arguments[:2], "--probe", "Beard", "--num_images", "4"])


def test_probe_script_reads_real_crops_with_their_labels_and_landmark_regions(tmp_path, capsys):
    from testing_utils import save_tiny_model, script

    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 10, "validation": 2, "test": 3})
    landmarks = tmp_path / "landmarks.json"  # test crops 000013-000015; the last one "without a face"
    landmarks.write_text(
        json.dumps(
            {"000013.jpg": CELEBA_LANDMARKS.tolist(), "000014.jpg": CELEBA_LANDMARKS.tolist(), "000015.jpg": None}
        )
    )
    model_dir = save_tiny_model(tmp_path / "model", SYNTHETIC_ATTRIBUTES, backbone_config=tiny_backbone(("stage3",)))
    arguments = ["--model", str(model_dir), "--probe", "Eyeglasses", "--data_dir", str(data_dir), "--split", "test"]
    attention_maps = script("attention_maps")
    result = attention_maps.main([*arguments, "--landmarks", str(landmarks), "--probe_train_faces", "6"])
    printed = capsys.readouterr().out
    assert "Landmarks found on 2 of 3 crops" in printed and "6 train / 2 test real faces" in printed
    # The eyes' region from the landmarks lies across image y ≈ 100-125 of the 218-px crops: row 2 of the 4×4 grid.
    assert result["row_in_box"] == [0.0, 0.0, 1.0, 0.0] and result["attention"].shape == (4, 4)
    # Each crop comes with the labels the annotation file gives it (the release's faces are the synthetic ones).
    script_args = SimpleNamespace(
        dataset_name=None, data_dir=str(data_dir), split="test", num_images=None, landmarks=str(landmarks)
    )
    faces = attention_maps.real_faces(script_args, ["Eyeglasses", "Male"])
    assert [f.labels for f in faces] == [
        {a: make_face(0, "test", i).labels[a] for a in ("Eyeglasses", "Male")} for i in range(2)
    ]


def test_maps_script_conditions_the_deletion_test_on_each_attributes_train_correlate(tmp_path, capsys):
    from testing_utils import save_tiny_model, script

    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 40, "validation": 2, "test": 6})
    landmarks = tmp_path / "landmarks.json"
    landmarks.write_text(json.dumps({f"{n:06d}.jpg": CELEBA_LANDMARKS.tolist() for n in range(43, 49)}))
    model_dir = save_tiny_model(tmp_path / "model", SYNTHETIC_ATTRIBUTES, backbone_config=tiny_backbone(("stage3",)))
    scores = script("attention_maps").main(
        ["--model", str(model_dir), "--score", "--data_dir", str(data_dir), "--split", "test", "--deletion"]
        + ["--correlates", "--landmarks", str(landmarks), "--attributes", "Eyeglasses", "Wearing_Lipstick"]
    )
    printed = capsys.readouterr().out
    assert "Conditioned on: Eyeglasses ← " in printed and "where it is 0 / 1" in printed
    for attribute in ("Eyeglasses", "Wearing_Lipstick"):
        strata = scores["deletion"][attribute]["conditioned"]
        assert strata["on"] in SYNTHETIC_ATTRIBUTES and strata["0"]["faces"] + strata["1"]["faces"] == 6
