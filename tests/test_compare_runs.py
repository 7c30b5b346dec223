# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""scripts/compare_runs.py: paired differences on the same test images, and the majority baseline; and the CPU
recipe that calls it for every finished run."""

import csv
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from face_attributes.data.synthetic import SYNTHETIC_ATTRIBUTES, make_face

from testing_utils import ROOT, script, slow, write_celeba_release


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


def test_group_cells_are_compared_with_paired_intervals_and_the_worst_cell_named(tmp_path, capsys):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 4, "validation": 2, "test": 40}, (36, 44))
    files = [f"{7 + i:06d}.jpg" for i in range(40)]
    labels = np.array([[make_face(0, "test", i).labels[a] for a in SYNTHETIC_ATTRIBUTES] for i in range(40)])
    male, smiling = SYNTHETIC_ATTRIBUTES.index("Male"), SYNTHETIC_ATTRIBUTES.index("Smiling")
    smiling_men = np.flatnonzero((labels[:, male] == 1) & (labels[:, smiling] == 1))
    assert len(smiling_men) >= 2
    baseline = labels.copy()
    baseline[smiling_men[:2], smiling] = 0  # the baseline misses two smiling men; the run is always right
    write_predictions(tmp_path / "erm", files, baseline)
    write_predictions(tmp_path / "robust", files, labels)
    results = script("compare_runs").main(
        ["--data_dir", str(data_dir), "--baseline", str(tmp_path / "erm"), "--runs", str(tmp_path / "robust")]
        + ["--group_columns", "Male"]
    )
    compared = results[str(tmp_path / "robust")]["groups"]
    groups = compared["cells"]["Smiling"]
    cell = groups["cells"]["Male=1 Smiling=1"]
    n = len(smiling_men)
    assert cell["images"] == n and cell["baseline"] == pytest.approx(1 - 2 / n) and cell["run"] == 1.0
    assert cell["difference"] == pytest.approx(2 / n)
    assert cell["half_width"] == pytest.approx(1.96 * np.sqrt(2 - 4 / n) / n)
    assert groups["worst"]["baseline"] == "Male=1 Smiling=1"
    assert groups["cells"]["Male=0 Smiling=1"]["difference"] == 0.0
    assert "Male" not in compared["cells"] and "Male" not in compared["equalized_odds_gaps"]
    # The gaps equal the package's fairlearn-based group metrics on the same decisions; the run's is the labels' own.
    from face_attributes.training.group_metrics import group_metric_table

    names = [a for a in SYNTHETIC_ATTRIBUTES if a != "Male"]
    columns = [SYNTHETIC_ATTRIBUTES.index(a) for a in names]
    group_values = labels[:, [male]]
    for decisions, who in ((baseline, "baseline"), (labels, "run")):
        _, summaries = group_metric_table(decisions[:, columns], labels[:, columns], group_values, names, ["Male"])
        for name in names:
            gap = compared["equalized_odds_gaps"][name][who]
            assert gap == pytest.approx(summaries[name]["equalized_odds_gap"], nan_ok=True), (name, who)
    smiling_gap = compared["equalized_odds_gaps"]["Smiling"]
    low, high = smiling_gap["interval"]
    assert smiling_gap["run"] == 0.0 and low <= smiling_gap["run"] - smiling_gap["baseline"] <= high
    assert f"Worst cell: baseline {1 - 2 / n:.2%} (Male=1 Smiling=1)" in capsys.readouterr().out


def test_runs_on_other_images_are_refused(tmp_path):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 4, "validation": 1, "test": 3}, (36, 44))
    decisions = np.zeros((3, len(SYNTHETIC_ATTRIBUTES)), dtype=int)
    write_predictions(tmp_path / "a", ["000006.jpg", "000007.jpg", "000008.jpg"], decisions)
    write_predictions(tmp_path / "b", ["000006.jpg", "000007.jpg", "000001.jpg"], decisions)
    with pytest.raises(SystemExit, match="not a paired comparison"):
        script("compare_runs").main(
            ["--data_dir", str(data_dir), "--baseline", str(tmp_path / "a"), "--runs", str(tmp_path / "b")]
        )


def write_finished_run(run_dir, files, decisions):
    """What scripts/ablation.py needs to skip a run as finished, and what compare_runs.py reads."""
    write_predictions(run_dir, files, decisions)
    metrics = {"eval_accuracy": 0.9, "eval_balanced_accuracy": 0.8, "train_samples_per_second": 10.0}
    (run_dir / "all_results.json").write_text(json.dumps(metrics))
    (run_dir / "attention_scores.json").write_text(json.dumps({"parameters": 1}))


def run_recipe(script_name: str, data_dir, out, check=True, **variables) -> subprocess.CompletedProcess:
    """Run a scripts/ recipe as a user would (this Python first on PATH, offline); it must succeed if check."""
    env = {**os.environ, **variables, "HF_HUB_OFFLINE": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = ["bash", str(ROOT / "scripts" / script_name), str(data_dir), str(out)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 or not check, result.stderr[-4000:]
    return result


@slow
def test_cpu_recipe_rerun_for_one_rung_compares_every_finished_run_of_the_seed(tmp_path):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 6, "validation": 1, "test": 4}, (36, 44))
    files = [f"{8 + i:06d}.jpg" for i in range(4)]
    decisions = np.zeros((4, len(SYNTHETIC_ATTRIBUTES)), dtype=int)
    out = tmp_path / "runs"
    for variant in ("plain", "bilstm-queries", "attention"):
        write_finished_run(out / variant / "seed1", files, decisions)
    (out / "bilstm-mean" / "seed1" / "checkpoint-10").mkdir(parents=True)  # interrupted: not compared
    result = run_recipe("train_celeba_cpu.sh", data_dir, out, SEEDS="1", VARIANTS="attention")
    assert "finished earlier, skipped" in result.stdout  # nothing was trained
    assert f"not compared, unfinished: {out / 'bilstm-mean' / 'seed1'}" in result.stdout
    compared = (out / "compare_seed1.md").read_text()
    for variant in ("attention", "bilstm-queries"):  # the default's comparison survives a rerun for another rung
        assert f"### {out / variant / 'seed1'} against {out / 'plain' / 'seed1'}" in compared
    assert "bilstm-mean" not in compared
    # ablation.md has the plain baseline beside the requested rung.
    assert "| plain | 1 |" in (out / "ablation.md").read_text()


@slow
def test_cpu_recipe_spends_bf16s_speed_on_twice_the_epochs_and_keeps_fp32s_budget(tmp_path):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 6, "validation": 1, "test": 4}, (36, 44))
    files = [f"{8 + i:06d}.jpg" for i in range(4)]
    out = tmp_path / "runs"
    for variant in ("plain", "bilstm-queries"):
        write_finished_run(out / variant / "seed1", files, np.zeros((4, len(SYNTHETIC_ATTRIBUTES)), dtype=int))
    budgets = {
        "bf16": "Training with: --bf16 --channels_last, 8 epochs",
        "fp32": "Training with: fp32, 4 epochs",  # the budget of every result trained before bf16
    }
    for precision, line in budgets.items():
        assert line in run_recipe("train_celeba_cpu.sh", data_dir, out, SEEDS="1", PRECISION=precision).stdout
    chosen = run_recipe("train_celeba_cpu.sh", data_dir, out, SEEDS="1", PRECISION="bf16", EPOCHS="2").stdout
    assert "Training with: --bf16 --channels_last, 2 epochs" in chosen

    # A folder the fp32 recipe began: the bf16 default stops at it, naming the budget each would train with.
    logged = ["python", "run_classification.py", "--num_train_epochs", "4", "--output_dir", "x"]
    (out / "plain" / "seed1" / "ablation_run.log").write_text(f"$ {shlex.join(logged)}\n")
    refused = run_recipe("train_celeba_cpu.sh", data_dir, out, check=False, SEEDS="1", PRECISION="bf16")
    assert refused.returncode != 0 and "was started with other run_classification.py arguments" in refused.stderr
    assert "then: --num_train_epochs 4" in refused.stderr and "--num_train_epochs 8" in refused.stderr


@slow
def test_group_robust_recipe_trains_both_runs_and_pairs_them_cell_by_cell(tmp_path):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 24, "validation": 8, "test": 8}, (36, 44))
    out = tmp_path / "blond-male"
    run_recipe("train_group_robust.sh", data_dir, out, SEEDS="1")
    for variant in ("erm", "balanced"):
        saved = json.loads((out / variant / "seed1" / "all_results.json").read_text())
        assert "test_worst_cell_accuracy_Blond_Hair" in saved  # the four cells of Blond_Hair × Male were measured
    arguments = (out / "balanced" / "seed1" / "ablation_run.log").read_text()
    assert "--group_sampling balanced" in arguments and "--group_columns Male" in arguments
    compared = (out / "compare_seed1.md").read_text()
    assert f"#### Blond_Hair by cell, {out / 'balanced' / 'seed1'} against {out / 'erm' / 'seed1'}" in compared
    assert "| cell (Male × Blond_Hair) |" in compared and "Worst cell: baseline" in compared


@slow
def test_fine_tune_recipe_pairs_a_fine_tuned_body_with_the_same_model_from_scratch(tmp_path):
    data_dir = write_celeba_release(tmp_path / "celeba", {"train": 24, "validation": 8, "test": 8}, (36, 44))
    out = tmp_path / "fine-tune"
    # conftest silences transformers' warnings; this run's log must show which weights are new.
    variables = dict(SIZES="8", SEEDS="0", ATTRIBUTES=" ".join(SYNTHETIC_ATTRIBUTES), TRANSFORMERS_VERBOSITY="warning")
    run_recipe("fine_tune_celeba.sh", data_dir, out, **variables)
    first, second = SYNTHETIC_ATTRIBUTES[0::2], SYNTHETIC_ATTRIBUTES[1::2]
    body = json.loads((out / "body-A" / "seed0" / "config.json").read_text())
    assert list(body["id2label"].values()) == first
    for arm in ("scratch", "fine-tuned"):
        run = out / "B-8" / arm / "seed0"
        assert list(json.loads((run / "config.json").read_text())["id2label"].values()) == second
        assert json.loads((run / "train_results.json").read_text())["epoch"] == 20  # 20 epochs of 8 images
    log = (out / "B-8" / "fine-tuned" / "seed0" / "train.log").read_text()
    assert "fine-tuning it on 4 others" in log and "newly initialised: model.attribute_queries" in log
    assert "newly initialised" not in (out / "B-8" / "scratch" / "seed0" / "train.log").read_text()
    compared = (out / "compare-B-8-seed0.md").read_text()
    assert f"{out / 'B-8' / 'fine-tuned' / 'seed0'} against {out / 'B-8' / 'scratch' / 'seed0'}" in compared
    result = run_recipe("fine_tune_celeba.sh", data_dir, out, **variables)  # a rerun trains nothing
    assert "trained:" not in result.stdout and f"finished: {out / 'body-A' / 'seed0'}" in result.stdout


def test_map_scoreboard_counts_pointing_and_specific_maps_beside_paired_accuracy(tmp_path):
    sizes = {"train": 4, "validation": 2, "test": 20}
    data_dir = write_celeba_release(tmp_path / "celeba", sizes, (36, 44))
    files = [f"{7 + i:06d}.jpg" for i in range(20)]
    labels = np.array([[make_face(0, "test", i).labels[a] for a in SYNTHETIC_ATTRIBUTES] for i in range(20)])
    wrong = labels.copy()
    wrong[:4, 1] = 1 - wrong[:4, 1]  # four Smiling mistakes
    write_predictions(tmp_path / "plain", files, labels)
    write_predictions(tmp_path / "design", files, wrong)

    def deletion(region, moved, outside, low_stratum):
        strata = {"0": dict(region=low_stratum, moved=moved, other_outside_region=outside), "1": dict(region=region)}
        strata["1"].update(moved=moved, other_outside_region=outside)
        return dict(region=region, moved=moved, other_attribute=0.5, other_outside_region=outside, conditioned=strata)

    scores = {
        "regions": {
            "Eyeglasses": dict(pointing_game=0.9, energy=0.4, area_share=0.1),
            "Smiling": dict(pointing_game=0.5, energy=0.2, area_share=0.1),
        },
        "deletion": {
            "Eyeglasses": deletion(0.3, 0.1, 0.1, low_stratum=0.15),  # 3× overall, 1.5× where the correlate is 0
            "Smiling": deletion(0.3, 0.05, 0.2, low_stratum=0.3),  # 1.5×
        },
    }
    (tmp_path / "scores.json").write_text(json.dumps(scores))
    table = script("map_scoreboard").main(
        ["--data_dir", str(data_dir), "--baseline", str(tmp_path / "plain")]
        + ["--entry", f"sparse={tmp_path / 'design'}:{tmp_path / 'scores.json'}"]
    )
    row = table.splitlines()[-1]
    assert row.startswith("| sparse | 97.50% | -2.50% (")  # 4 of 160 decisions wrong
    assert "| 1 of 2 | 3.0× | 1 of 2 | 0 of 2 |" in row
    table = script("map_scoreboard").main(
        ["--data_dir", str(data_dir), "--baseline", str(tmp_path / "plain"), "--per_attribute"]
        + ["--entry", f"sparse={tmp_path / 'design'}:{tmp_path / 'scores.json'}"]
    )
    assert "| Eyeglasses | 0.90 / 3.0× (1.5×) |" in table and "| Smiling | 0.50 / 1.5× (1.5×) |" in table
