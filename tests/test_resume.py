# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Interrupted runs: killed at any moment, rerun with the same command, they end where an uninterrupted run ends."""

import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from testing_utils import TINY, slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import run_classification

# 96 images in batches of 16 with gradient accumulation 2: 3 optimizer steps per epoch, so 36 steps cross
# eleven epoch boundaries (about 3 s of training on 2 cores).
RUN = [
    *TINY,
    *shlex.split(
        "--do_train --max_train_samples 96 --gradient_accumulation_steps 2 --max_steps 36 --save_steps 3 "
        "--save_total_limit 2 --logging_steps 1"
    ),
]

# Runs run_classification.main with one kill armed. KILL is JSON: {"timer": seconds after train() starts} kills
# at an arbitrary moment; {"at": where} kills inside this run's first checkpoint write (or, for "rotate", inside
# its first deletion of an old checkpoint).
KILLER = textwrap.dedent(
    """
    import json, os, signal, sys, threading
    sys.path.insert(0, sys.argv[1])
    import transformers
    import transformers.trainer as trainer_module
    from transformers import Trainer, TrainerState
    import run_classification

    kill = json.loads(os.environ["KILL"])
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    def patch(owner, name, before=None, after=None):
        original = getattr(owner, name)
        def patched(self, *args, **kwargs):
            if before and before(self, *args): die()
            result = original(self, *args, **kwargs)
            if after and after(self, *args): die()
            return result
        setattr(owner, name, patched)
    if "timer" in kill:
        original_train = Trainer.train
        def train(self, *args, **kwargs):
            threading.Timer(kill["timer"], die).start()
            return original_train(self, *args, **kwargs)
        Trainer.train = train
    elif kill.get("at") == "weights":  # the weights file half written
        def truncate(self, output_dir=None, *args):
            if output_dir and "checkpoint-" in str(output_dir):
                path = os.path.join(output_dir, "model.safetensors")
                os.truncate(path, os.path.getsize(path) // 2)
                return True
        patch(Trainer, "_save", after=truncate)
    elif kill.get("at") == "optimizer":  # weights written, optimizer and scheduler not yet
        patch(Trainer, "_save_optimizer_and_scheduler", before=lambda self, output_dir: True)
    elif kill.get("at") == "state":  # trainer_state.json cut short, everything else written
        original_save = TrainerState.save_to_json
        def save_to_json(self, json_path):
            if "checkpoint-" in json_path:
                with open(json_path, "w") as f:
                    f.write(json.dumps(self.__dict__, default=str)[:100])
                die()
            return original_save(self, json_path)
        TrainerState.save_to_json = save_to_json
    elif kill.get("at") == "rotate":  # the new checkpoint is whole; an older one is half deleted
        original_rotate = trainer_module.rotate_checkpoints
        def rotate(output_dir, *args, **kwargs):
            folders = [p for p in os.listdir(output_dir) if p.startswith("checkpoint-")]
            if len(folders) > 2:  # save_total_limit 2: this rotation deletes the oldest
                oldest = os.path.join(output_dir, min(folders, key=lambda p: int(p.split("-")[1])))
                os.remove(os.path.join(oldest, "optimizer.pt"))
                die()
            return original_rotate(output_dir, *args, **kwargs)
        trainer_module.rotate_checkpoints = rotate
    run_classification.main(sys.argv[2:])
    """
)


def run_with_kill(output_dir: Path, kill: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KILL": json.dumps(kill)}
    command = [sys.executable, "-c", KILLER, str(ROOT), *RUN, "--output_dir", str(output_dir)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@slow
def test_killed_at_many_moments_the_same_command_ends_with_the_uninterrupted_weights(tmp_path):
    reference = tmp_path / "reference"
    run_classification.main([*RUN, "--output_dir", str(reference)])
    expected = load_file(reference / "model.safetensors")

    rng = random.Random(0)
    timer = lambda: {"timer": rng.uniform(0.1, 0.6)}  # noqa: E731
    kills = [
        {"at": "weights"},
        timer(),
        {"at": "optimizer"},
        timer(),
        {"at": "state"},
        timer(),
        {"at": "rotate"},
        timer(),
        timer(),
    ]
    interrupted, survived, stopped_with_message = tmp_path / "interrupted", 0, 0
    while kills:
        result = run_with_kill(interrupted, kills[0])
        if result.returncode == 0:  # the run got to its end before this kill could land
            break
        if result.returncode == 1:  # killed inside its first save: no whole checkpoint, the message says rerun
            assert "none is whole" in result.stderr and "Rerun the same command" in result.stderr, result.stderr[-3000:]
            stopped_with_message += 1
            continue
        assert result.returncode == -9, result.stdout[-2000:] + result.stderr[-3000:]
        survived += 1
        kills.pop(0)
    assert survived >= 8, survived  # the kills inside a checkpoint write always land, and most timers
    assert sorted(p.name for p in interrupted.glob("incomplete-checkpoint-*")) != []  # damaged ones set aside
    final = run_with_kill(interrupted, {})
    assert final.returncode == 0, final.stderr[-3000:]
    assert json.loads((interrupted / "trainer_state.json").read_text())["global_step"] == 36
    weights = load_file(interrupted / "model.safetensors")
    assert weights.keys() == expected.keys()
    for name, tensor in expected.items():
        torch.testing.assert_close(weights[name], tensor, rtol=0, atol=0, msg=name)


@pytest.fixture(scope="module")
def two_checkpoints(tmp_path_factory) -> Path:
    output_dir = tmp_path_factory.mktemp("checkpoints")
    run_classification.main(
        [
            *TINY,
            *shlex.split(
                "--do_train --max_train_samples 32 --max_steps 2 --save_steps 1 --label_columns Male --output_dir"
            ),
            str(output_dir),
        ]
    )
    return output_dir


def damaged_copy(source: Path, target: Path, damage) -> Path:
    shutil.copytree(source, target)
    damage(target / "checkpoint-2")
    return target


@pytest.mark.parametrize(
    "damage,problem",
    [
        (lambda c: os.truncate(c / "model.safetensors", 1000), "model.safetensors is truncated"),
        (lambda c: os.truncate(c / "model.safetensors", 4), "model.safetensors is truncated"),
        (lambda c: (c / "optimizer.pt").unlink(), "optimizer.pt is missing"),
        (lambda c: os.truncate(c / "optimizer.pt", 100), "optimizer.pt is truncated or damaged"),
        (lambda c: (c / "trainer_state.json").write_text('{"global_st'), "trainer_state.json is truncated"),
        (lambda c: [p.unlink() for p in c.iterdir()], "no trainer_state.json"),
    ],
)
def test_a_damaged_newest_checkpoint_is_named_set_aside_and_the_older_one_resumed(
    two_checkpoints, tmp_path, caplog, damage, problem
):
    output_dir = damaged_copy(two_checkpoints, tmp_path / "run", damage)
    with caplog.at_level("WARNING"):
        results = run_classification.main(
            [
                *TINY,
                *shlex.split(
                    "--do_train --max_train_samples 32 --max_steps 3 --save_steps 1 --label_columns Male "
                    "--log_level warning --output_dir"
                ),
                str(output_dir),
            ]
        )
    assert f"checkpoint-2: {problem}" in caplog.text
    assert (output_dir / "incomplete-checkpoint-2").is_dir()
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 3
    assert results["train_loss"] > 0


def test_no_whole_checkpoint_stops_with_what_to_do_and_overwrite_starts_over(two_checkpoints, tmp_path):
    output_dir = tmp_path / "run"
    shutil.copytree(two_checkpoints, output_dir)
    for checkpoint in output_dir.glob("checkpoint-*"):
        (checkpoint / "scheduler.pt").unlink()
    args = [
        *TINY,
        *shlex.split("--do_train --max_train_samples 32 --max_steps 2 --label_columns Male --output_dir"),
        str(output_dir),
    ]
    with pytest.raises(ValueError, match=r"none is whole.*scheduler.pt is missing.*Rerun the same command"):
        run_classification.main(args)
    assert sorted(p.name for p in output_dir.glob("*checkpoint-*")) == [
        "incomplete-checkpoint-1",
        "incomplete-checkpoint-2",
    ]
    assert run_classification.main(args)["train_loss"] > 0  # the same command now starts over


def test_overwrite_output_dir_starts_over_even_with_whole_checkpoints(two_checkpoints, tmp_path):
    output_dir = tmp_path / "run"
    shutil.copytree(two_checkpoints, output_dir)
    results = run_classification.main(
        [
            *TINY,
            *shlex.split("--do_train --max_train_samples 32 --max_steps 1 --label_columns Male --output_dir"),
            str(output_dir),
            "--overwrite_output_dir",
        ]
    )
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 1
    assert results["train_loss"] > 0


def test_resume_from_a_damaged_checkpoint_by_name_is_a_clear_error(two_checkpoints, tmp_path):
    output_dir = damaged_copy(two_checkpoints, tmp_path / "run", lambda c: (c / "rng_state.pth").unlink())
    with pytest.raises(ValueError, match=r"--resume_from_checkpoint .*checkpoint-2: no rng_state"):
        run_classification.main(
            [
                *TINY,
                *shlex.split("--do_train --max_steps 3 --label_columns Male --output_dir"),
                str(output_dir),
                "--resume_from_checkpoint",
                str(output_dir / "checkpoint-2"),
            ]
        )


def test_rerunning_a_finished_run_trains_nothing_keeps_the_model_and_still_evaluates(tmp_path, caplog):
    output_dir = tmp_path / "run"
    args = [
        *TINY,
        *shlex.split(
            "--do_train --max_train_samples 32 --max_steps 12 --save_steps 4 --label_columns Male --output_dir"
        ),
        str(output_dir),
    ]
    run_classification.main(args)
    weights = (output_dir / "model.safetensors").read_bytes()
    checkpoints = sorted(p.name for p in output_dir.glob("checkpoint-*"))
    assert checkpoints == ["checkpoint-12", "checkpoint-4", "checkpoint-8"]

    with caplog.at_level("WARNING"):
        results = run_classification.main([*args, "--do_eval", "--do_predict", "--log_level", "warning"])
    assert "Training is finished" in caplog.text and "checkpoint-12" in caplog.text
    assert (output_dir / "model.safetensors").read_bytes() == weights
    assert sorted(p.name for p in output_dir.glob("checkpoint-*")) == checkpoints
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 12
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 12
    assert results["train_loss"] > 0 and "eval_accuracy" in results and "test_accuracy" in results

    # Killed between its last checkpoint and its final save: the rerun writes the last checkpoint's weights.
    (output_dir / "model.safetensors").unlink()
    (output_dir / "trainer_state.json").unlink()
    run_classification.main(args)
    restored = load_file(output_dir / "model.safetensors")
    last = load_file(output_dir / "checkpoint-12" / "model.safetensors")
    assert restored.keys() == last.keys()
    for name, tensor in last.items():
        torch.testing.assert_close(restored[name], tensor, rtol=0, atol=0, msg=name)
    assert sorted(p.name for p in output_dir.glob("checkpoint-*")) == checkpoints
    assert json.loads((output_dir / "trainer_state.json").read_text())["global_step"] == 12


@pytest.mark.parametrize("pipeline", [["--preprocessing_cache"], ["--augmentation", "margin_crop"]])
def test_margin_crop_resumed_from_a_checkpoint_ends_with_the_uninterrupted_weights(tmp_path, pipeline):
    # The augmentation on the device draws from the RNG state the checkpoint stores: resuming from step 3 of 6 must
    # give the weights of the run that never stopped, cache or not.
    def args(output_dir: Path) -> list[str]:
        flags = "--do_train --max_train_samples 48 --max_steps 6 --save_steps 3 --label_columns Male --output_dir"
        return [*TINY, *pipeline, *shlex.split(flags), str(output_dir)]

    reference = tmp_path / "reference"
    run_classification.main(args(reference))
    expected = load_file(reference / "model.safetensors")
    for name in ("resumed", "other_rng"):
        shutil.copytree(reference / "checkpoint-3", tmp_path / name / "checkpoint-3")
    # The control: the same checkpoint with another RNG state must end elsewhere (so the run did resume, and read it).
    rng_file = tmp_path / "other_rng" / "checkpoint-3" / "rng_state.pth"
    rng = torch.load(rng_file, weights_only=False)
    rng["cpu"] = torch.Generator().manual_seed(123).get_state()
    torch.save(rng, rng_file)
    for name in ("resumed", "other_rng"):
        run_classification.main(args(tmp_path / name))
        assert json.loads((tmp_path / name / "trainer_state.json").read_text())["global_step"] == 6
    weights = load_file(tmp_path / "resumed" / "model.safetensors")
    assert weights.keys() == expected.keys()
    for name, tensor in expected.items():
        torch.testing.assert_close(weights[name], tensor, rtol=0, atol=0, msg=name)
    other = load_file(tmp_path / "other_rng" / "model.safetensors")
    assert not all(torch.equal(other[name], tensor) for name, tensor in expected.items())
