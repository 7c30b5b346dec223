# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Videos in scripts/predict.py: every Nth frame, a row per face per frame, an annotated video, bad videos skipped."""

import csv

import pytest

from face_attributes.data.synthetic import make_face
from face_attributes.inference.video import VideoError, VideoWriter, read_frames

from testing_utils import save_tiny_model, script

av = pytest.importorskip("av")  # the [video] extra, part of [dev]


def write_video(path, frames: int, fps: int = 5):
    """A small H.264 video of synthetic CelebA-shaped faces (178×218), one face per frame."""
    with VideoWriter(str(path), fps) as video:
        for i in range(frames):
            video.write(make_face(0, "test", i).image)
    return path


def read_rows(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("model"))


def test_frames_are_read_every_nth_with_their_times(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=10)
    frames = list(read_frames(str(video), every=3))
    assert [f.index for f in frames] == [0, 3, 6, 9]
    assert [round(f.time_s, 3) for f in frames] == [0.0, 0.6, 1.2, 1.8]
    assert frames[0].image.size == (178, 218) and frames[0].image.mode == "RGB"


def test_predict_writes_a_row_per_face_per_frame_and_an_annotated_video(model_dir, tmp_path, capsys):
    video = write_video(tmp_path / "clips" / "clip.mp4", frames=10)
    make_face(0, "test", 99).image.save(tmp_path / "clips" / "photo.jpg")
    output = tmp_path / "predictions.csv"
    script("predict").main(
        [
            *("--model", str(model_dir), "--inputs", str(tmp_path / "clips"), "--output", str(output)),
            *("--every", "4", "--batch_size", "2", "--annotate", str(tmp_path / "annotated")),
        ]
    )
    rows = read_rows(output)
    assert list(rows[0])[:4] == ["file", "frame", "time_s", "face"]
    assert [(r["file"], r["frame"], r["time_s"]) for r in rows] == [
        (str(video), "0", "0.000"),
        (str(video), "4", "0.800"),
        (str(video), "8", "1.600"),
        (str(tmp_path / "clips" / "photo.jpg"), "", ""),  # a photo beside it: no frame
    ]
    assert all(0 <= float(r["Male_probability"]) <= 1 and r["Male"] in ("0", "1") for r in rows)
    annotated = tmp_path / "annotated" / str(tmp_path / "clips" / "clip").lstrip("/")
    annotated = annotated.with_suffix(".mp4")
    assert [f.index for f in read_frames(str(annotated))] == [0, 1, 2]  # the frames read, at 5 / 4 fps
    assert "Wrote 4 row(s)" in capsys.readouterr().out


def test_frames_are_classified_like_the_same_pictures_as_photos(model_dir, tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=3)
    for frame in read_frames(str(video)):  # the decoded frames (H.264 is lossy), saved losslessly
        frame.image.save(tmp_path / f"frame{frame.index}.png")
    script("predict").main(["--model", str(model_dir), "--inputs", str(video), "--output", str(tmp_path / "v.csv")])
    photos = [str(tmp_path / f"frame{i}.png") for i in range(3)]
    script("predict").main(["--model", str(model_dir), "--inputs", *photos, "--output", str(tmp_path / "p.csv")])
    from_video, from_photos = read_rows(tmp_path / "v.csv"), read_rows(tmp_path / "p.csv")
    columns = [c for c in from_photos[0] if c.endswith("_probability")]
    for v, p in zip(from_video, from_photos, strict=True):
        assert all(abs(float(v[c]) - float(p[c])) < 1e-5 for c in columns)


def test_a_damaged_video_is_skipped_by_name_and_the_other_inputs_finish(model_dir, tmp_path, capsys):
    good = write_video(tmp_path / "good.mp4", frames=2)
    data = good.read_bytes()
    (tmp_path / "not_a_video.mp4").write_text("plain text, named like a video")
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 4])  # the header without the frames' index
    output = tmp_path / "predictions.csv"
    inputs = [str(tmp_path / "not_a_video.mp4"), str(tmp_path / "cut.mp4"), str(good)]
    script("predict").main(["--model", str(model_dir), "--inputs", *inputs, "--output", str(output)])
    assert [(r["file"], r["frame"]) for r in read_rows(output)] == [(str(good), "0"), (str(good), "1")]
    out = capsys.readouterr().out
    assert "not_a_video.mp4: unreadable video:" in out and "cannot be read as a video" in out
    assert "cut.mp4: unreadable video:" in out


def test_read_frames_names_the_file_it_cannot_read(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match=r"empty\.mp4"):
        list(read_frames(str(tmp_path / "empty.mp4")))


def test_every_below_one_is_refused(model_dir, tmp_path):
    with pytest.raises(SystemExit):
        script("predict").main(["--model", str(model_dir), "--inputs", "x.mp4", "--every", "0"])
