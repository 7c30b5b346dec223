# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""scripts/compare_runs.py: paired differences on the same test images, and the majority baseline."""

import csv

import numpy as np
import pytest

from face_attributes.data.synthetic import SYNTHETIC_ATTRIBUTES, make_face

from testing_utils import script, write_celeba_release


def write_predictions(run_dir, files, decisions):
    run_dir.mkdir(parents=True)
    with open(run_dir / "predictions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", *(f"{a}_probability" for a in SYNTHETIC_ATTRIBUTES), *SYNTHETIC_ATTRIBUTES])
        for name, row in zip(files, decisions):
            writer.writerow([name, *(f"{v:.1f}" for v in row), *row])


def test_paired_differences_and_majority_baseline(tmp_path, capsys):
    sizes = {"train": 30, "validation": 2, "test": 20}
    data_dir = write_celeba_release(tmp_path / "celeba", sizes, (36, 44))
    files = [f"{33 + i:06d}.jpg" for i in range(20)]
    labels = np.array([[make_face(0, "test", i).labels[a] for a in SYNTHETIC_ATTRIBUTES] for i in range(20)])
    right = labels.copy()
    wrong_male = right.copy()
    wrong_male[:5, 0] = 1 - wrong_male[:5, 0]  # five Male mistakes, nothing else
    write_predictions(tmp_path / "baseline", files, wrong_male)
    write_predictions(tmp_path / "run", files, right)
    results = script("compare_runs").main(
        ["--data_dir", str(data_dir), "--baseline", str(tmp_path / "baseline"), "--runs", str(tmp_path / "run")]
    )
    run = results[str(tmp_path / "run")]
    assert run["accuracy"] == 1.0 and run["baseline_accuracy"] == pytest.approx(1 - 5 / 160)
    assert run["difference"] == pytest.approx(5 / 160)
    low, high = run["interval"]
    assert 0 < low <= 5 / 160 <= high  # every resample has the same sign: the run is right where the baseline errs
    male = run["attributes"]["Male"]
    # 5 discordant pairs, all one way: difference 5/20, variance (5 − 25/20)/400.
    assert male["difference"] == pytest.approx(0.25) and male["half_width"] == pytest.approx(1.96 * np.sqrt(3.75) / 20)
    assert run["attributes"]["Smiling"] == {"difference": 0.0, "half_width": 0.0}
    train = np.array([[make_face(0, "train", i).labels[a] for a in SYNTHETIC_ATTRIBUTES] for i in range(30)])
    expected_majority = (labels == (train.mean(0) >= 0.5)).mean(0)
    assert list(results["majority"].values()) == pytest.approx(expected_majority.tolist())
    assert (
        f"| Male | {expected_majority[0]:.2%} | 75.00% | 100.00% | +25.00% (± 18.98%) | 0 / 5 |"
        in capsys.readouterr().out
    )


def test_runs_on_other_images_are_refused(tmp_path):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 4, "validation": 1, "test": 3}, (36, 44))
    decisions = np.zeros((3, len(SYNTHETIC_ATTRIBUTES)), dtype=int)
    write_predictions(tmp_path / "a", ["000006.jpg", "000007.jpg", "000008.jpg"], decisions)
    write_predictions(tmp_path / "b", ["000006.jpg", "000007.jpg", "000001.jpg"], decisions)
    with pytest.raises(SystemExit, match="not a paired comparison"):
        script("compare_runs").main(
            ["--data_dir", str(data_dir), "--baseline", str(tmp_path / "a"), "--runs", str(tmp_path / "b")]
        )
