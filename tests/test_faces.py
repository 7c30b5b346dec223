# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Real photos: EXIF orientation, faces found and aligned the CelebA way, one CSV row per face."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from face_attributes.data.example_photos import astronaut, grace_hopper, group_photo
from face_attributes.data.synthetic import make_face
from face_attributes.inference.faces import CELEBA_SIZE, CELEBA_TEMPLATE, FaceDetector, align_face, anchor_points

from testing_utils import save_tiny_model, script

# exif_transpose applies this to a photo stored with orientation o; the stored photo is its inverse of upright.
STORED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def save_with_orientation(image: Image.Image, path: Path, orientation: int) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = image.transpose(STORED[orientation]) if orientation != 1 else image
    stored.save(path, exif=exif.tobytes(), **({"quality": 95} if path.suffix == ".jpg" else {}))
    return path


def read_rows(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"), pooling="attribute_queries")


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_every_exif_orientation_predicts_like_the_upright_image(model_dir, tmp_path):
    face = make_face(0, "test", 3).image
    folder = tmp_path / "photos"
    folder.mkdir()
    for orientation in range(1, 9):  # PNG keeps the pixels exact, so only the orientation differs
        save_with_orientation(face, folder / f"o{orientation}.png", orientation)
    output = tmp_path / "predictions.csv"
    script("predict").main(["--model", str(model_dir), "--inputs", str(folder), "--output", str(output)])
    rows = {Path(r["file"]).stem: r for r in read_rows(output)}
    assert len(rows) == 8 and all(r["x1"] == "178.0" and r["y1"] == "218.0" for r in rows.values())  # upright
    upright = np.array([float(v) for k, v in rows["o1"].items() if k.endswith("_probability")])
    assert upright.std() > 0
    for orientation in range(2, 9):
        turned = np.array([float(v) for k, v in rows[f"o{orientation}"].items() if k.endswith("_probability")])
        np.testing.assert_allclose(turned, upright, atol=1e-5, err_msg=f"orientation {orientation}")


def expected_face_centres(detector: FaceDetector) -> list[tuple[float, float, float]]:
    """(x, y, face width) of every face in the group photo: the portrait's own face carried through the placement."""
    reference = {"grace_hopper": detector(grace_hopper())[0][0], "astronaut": detector(astronaut())[0][0]}
    _, placements = group_photo()
    centres = []
    for placed in placements:
        x0, y0, x1, y1 = reference[placed.source] * placed.scale
        x, y, width = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0
        if placed.angle:  # PIL's rotate(expand=True) about the scaled portrait's centre
            source = grace_hopper() if placed.source == "grace_hopper" else astronaut()
            cx, cy = source.width * placed.scale / 2, source.height * placed.scale / 2
            theta = math.radians(placed.angle)
            dx, dy = x - cx, y - cy
            x = placed.size[0] / 2 + dx * math.cos(theta) + dy * math.sin(theta)
            y = placed.size[1] / 2 - dx * math.sin(theta) + dy * math.cos(theta)
        centres.append((placed.offset[0] + x, placed.offset[1] + y, width))
    return centres


def test_group_photo_every_face_found_once_where_it_is_and_aligned_like_celeba(detector):
    photo, _ = group_photo()
    found = detector(photo)
    expected = expected_face_centres(detector)
    assert len(found) == len(expected) == 5  # every face once, nothing else
    for x, y, width in expected:
        centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b, _, _ in found]
        distances = [math.dist((x, y), c) for c in centres]
        assert min(distances) < 0.15 * width, (x, y, centres)
    for box, score, landmarks in found:
        assert score > 0.95
        crop = align_face(photo, landmarks)
        assert crop.size == CELEBA_SIZE
        again = detector(crop)
        assert len(again) == 1
        assert np.abs(anchor_points(again[0][2]) - CELEBA_TEMPLATE).max() < 5  # eyes and mouth where CelebA has them


def test_exif_rotated_group_photo_gives_the_same_boxes_in_upright_coordinates(model_dir, tmp_path):
    photo, _ = group_photo()
    folder = tmp_path / "photos"
    folder.mkdir()
    photo.save(folder / "upright.jpg", quality=95)
    save_with_orientation(photo, folder / "sideways.jpg", 6)
    output = tmp_path / "predictions.csv"
    script("predict").main(["--model", str(model_dir), "--inputs", str(folder), "--output", str(output)])
    rows = read_rows(output)
    boxes = {
        name: np.array([[float(r[k]) for k in ("x0", "y0", "x1", "y1")] for r in rows if r["file"].endswith(name)])
        for name in ("upright.jpg", "sideways.jpg")
    }
    assert boxes["upright.jpg"].shape == boxes["sideways.jpg"].shape == (5, 4)
    # JPEG compresses the sideways pixels in other 8×8 blocks, so boxes agree to a tenth of the face's width.
    widths = boxes["upright.jpg"][:, 2] - boxes["upright.jpg"][:, 0]
    assert (np.abs(boxes["sideways.jpg"] - boxes["upright.jpg"]).max(axis=1) < 0.1 * widths).all()


def test_folders_of_photos_a_row_per_face_crops_annotations_and_skipped_files(model_dir, tmp_path, capsys):
    photos = tmp_path / "photos"
    for sub in ("a", "b"):
        (photos / sub).mkdir(parents=True)
    group_photo()[0].save(photos / "a" / "1.jpg", quality=92)
    grace_hopper().save(photos / "b" / "1.jpg", quality=92)
    Image.fromarray(skimage.data.coffee()).save(photos / "b" / "coffee.jpg")  # no face
    (photos / "b" / "notes.jpg").write_text("not an image")
    data = (photos / "a" / "1.jpg").read_bytes()
    (photos / "b" / "truncated.jpg").write_bytes(data[: len(data) // 3])
    output = tmp_path / "predictions.csv"
    script("predict").main(
        [
            "--model",
            str(model_dir),
            "--inputs",
            str(photos / "a"),
            str(photos / "b"),
            "--output",
            str(output),
            "--faces",
            "detect",
            "--save_faces",
            str(tmp_path / "crops"),
            "--annotate",
            str(tmp_path / "annotated"),
        ]
    )
    rows = read_rows(output)
    assert list(rows[0])[:7] == ["file", "face", "x0", "y0", "x1", "y1", "detection_score"]
    assert [(Path(r["file"]).parent.name, r["face"]) for r in rows] == [("a", str(i)) for i in range(5)] + [("b", "0")]
    assert all(float(r["detection_score"]) > 0.95 for r in rows)
    crops = sorted(p.relative_to(tmp_path / "crops").as_posix() for p in (tmp_path / "crops").rglob("*.png"))
    assert len(crops) == 6 and any(c.endswith("a/1_face4.png") for c in crops)
    assert all(Image.open(p).size == CELEBA_SIZE for p in (tmp_path / "crops").rglob("*.png"))
    annotated = sorted((tmp_path / "annotated").rglob("*.jpg"))
    assert len(annotated) == 2 and Image.open(annotated[0]).size == group_photo()[0].size
    out = capsys.readouterr().out
    assert "Wrote 6 row(s)" in out and "skipped 2 unreadable file(s) and 1 image(s) without a face" in out
    assert "coffee.jpg: no face found" in out and "truncated.jpg: unreadable" in out
