# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""scripts/ablation.py: a shrunk ladder (2 variants × 2 seeds) writes its CSV, table and chart; a rerun skips."""

import csv
import sys
from pathlib import Path

from PIL import Image
from test_run_classification import TINY

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import ablation  # noqa: E402

PASSTHROUGH = [*TINY, "--max_steps", "6", "--max_eval_samples", "32"]


def test_shrunk_ladder_writes_csv_table_and_chart_and_a_rerun_skips_finished_runs(tmp_path, capsys):
    args = ["--output_dir", str(tmp_path), "--variants", "plain", "bilstm-queries", "--seeds", "0", "1",
            "--", *PASSTHROUGH]  # fmt: skip
    rows = ablation.main(args)
    assert [(r["variant"], r["seed"]) for r in rows] == [("plain", 0), ("bilstm-queries", 0), ("plain", 1),
                                                          ("bilstm-queries", 1)]  # fmt: skip
    with open(tmp_path / "ablation.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 4 and {"accuracy", "balanced_accuracy", "parameters", "train_images_per_second",
                                "pointing_game", "accuracy_Male"} <= set(table[0])  # fmt: skip
    plain, ours = table[0], table[1]
    assert int(plain["parameters"]) < int(ours["parameters"])
    assert plain["pointing_game"] == "" and 0 <= float(ours["pointing_game"]) <= 1  # maps only with attention
    markdown = (tmp_path / "ablation.md").read_text()
    assert "| plain | 2 |" in markdown and "| bilstm-queries | 2 |" in markdown and "Δ accuracy vs plain" in markdown
    assert "scripts/ablation.py" in markdown  # the command that made it
    assert Image.open(tmp_path / "ablation.png").size == (1100, 400)
    finished = (tmp_path / "plain" / "seed0" / "all_results.json").stat().st_mtime

    capsys.readouterr()
    again = ablation.main(args)
    output = capsys.readouterr().out
    assert output.count("finished earlier, skipped") == 4
    assert (tmp_path / "plain" / "seed0" / "all_results.json").stat().st_mtime == finished
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in rows]
