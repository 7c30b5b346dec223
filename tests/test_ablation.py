# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""scripts/ablation.py: a shrunk ladder (2 variants × 2 seeds) writes its CSV, table and chart; a rerun skips, unless
the folder was begun with other arguments; without the project importable it stops before training."""

import csv
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from transformers import ResNetConfig, ResNetForImageClassification

from testing_utils import BLOCK_PACKAGE, TINY, slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import ablation

PASSTHROUGH = [*TINY, "--max_steps", "6", "--max_eval_samples", "32"]


@slow
def test_shrunk_ladder_writes_csv_table_and_chart_and_a_rerun_skips_finished_runs(tmp_path, capsys):
    # A ladder variant and one given as NAME=FLAGS (its flags come last, so they win over the passthrough).
    args = [
        "--output_dir",
        str(tmp_path),
        "--variants",
        "plain",
        "one-head=--num_attention_heads 1",
        "--seeds",
        "0",
        "1",
        "--",
        *PASSTHROUGH,
    ]
    rows = ablation.main(args)
    assert [(r["variant"], r["seed"]) for r in rows] == [("plain", 0), ("one-head", 0), ("plain", 1), ("one-head", 1)]
    config = json.loads((tmp_path / "one-head" / "seed0" / "config.json").read_text())
    assert config["num_attention_heads"] == 1 and config["pooling"] == "attribute_queries"
    with open(tmp_path / "ablation.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 4 and {
        "accuracy",
        "balanced_accuracy",
        "parameters",
        "train_images_per_second",
        "pointing_game",
        "accuracy_Male",
    } <= set(table[0])
    plain, ours = table[0], table[1]
    # The baseline is exactly transformers' ResNet classifier in TINY's layout (all four stages, 8 labels).
    resnet = ResNetForImageClassification(
        ResNetConfig(
            embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1], layer_type="basic", num_labels=8
        )
    )
    assert int(plain["parameters"]) == sum(p.numel() for p in resnet.parameters()) != int(ours["parameters"])
    assert plain["pointing_game"] == "" and 0 <= float(ours["pointing_game"]) <= 1  # maps only with attention
    assert float(ours["worst_pointing_game"]) <= float(ours["pointing_game"]) and ours["worst_pointing_attribute"]
    assert 0 <= int(ours["attributes_meeting_targets"]) <= int(ours["scored_attributes"]) == 8
    markdown = (tmp_path / "ablation.md").read_text()
    assert "| plain | 2 |" in markdown and "| one-head | 2 |" in markdown and "Δ accuracy vs plain" in markdown
    assert "- `one-head`: `--num_attention_heads 1`" in markdown and " of 8 |" in markdown
    assert "scripts/ablation.py" in markdown  # the command that made it
    assert Image.open(tmp_path / "ablation.png").size == (1100, 400)
    finished = (tmp_path / "plain" / "seed0" / "all_results.json").stat().st_mtime

    capsys.readouterr()
    again = ablation.main(args)
    output = capsys.readouterr().out
    assert output.count("finished earlier, skipped") == 4
    assert (tmp_path / "plain" / "seed0" / "all_results.json").stat().st_mtime == finished
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in rows]


def test_a_run_folder_begun_with_other_arguments_stops_the_call_instead_of_mixing_two_settings(tmp_path):
    # A finished plain run of seed 0, logged as an earlier version wrote it (--output_dir before --do_train).
    run_dir = tmp_path / "plain" / "seed0"
    run_dir.mkdir(parents=True)
    (run_dir / "all_results.json").write_text("{}")
    trained = [*PASSTHROUGH, *ablation.FLAGS["plain"], "--seed", "0"]
    logged = ["python", "/elsewhere/run_classification.py", *trained, "--output_dir", "/moved/plain/seed0"]
    (run_dir / "ablation_run.log").write_text(f"$ {shlex.join([*logged, '--do_train', '--do_eval'])}\nlog lines\n")

    # The same arguments: the run is the one this call would train (the folder may have moved).
    same = ablation.run_arguments(ablation.FLAGS["plain"], 0, PASSTHROUGH)
    ablation.check_same_arguments(run_dir, same)

    # Another budget: skipping the finished run would put a 6-step result in a 7-step table.
    other_budget = [*TINY, "--max_steps", "7", "--max_eval_samples", "32"]
    with pytest.raises(SystemExit, match=r"(?s)plain/seed0 was started with other.*max_steps 6.*max_steps 7.*delete"):
        ablation.main(["--output_dir", str(tmp_path), "--variants", "plain", "--seeds", "0", "--", *other_budget])
    assert not (tmp_path / "ablation.md").exists()


def test_without_the_project_importable_it_stops_before_training_anything(tmp_path):
    # In a Python that cannot import face_attributes (the project not installed) the call must stop at once: before,
    # it trained the first run (an hour on real CelebA) and then failed to collect it.
    output_dir = tmp_path / "runs"
    argv = ["ablation.py", "--output_dir", str(output_dir), "--seeds", "0", "--variants", "plain", "--", *PASSTHROUGH]
    path = str(ROOT / "scripts" / "ablation.py")
    run_script = f"import runpy, sys; sys.argv = {argv!r}; runpy.run_path({path!r}, run_name='__main__')"
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_PACKAGE + run_script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "face_attributes is blocked in this test" in result.stderr
    assert not (output_dir / "plain").exists()
