# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Exact resume: which checkpoint is whole, setting damaged ones aside, and when a run is already finished."""

import json
import logging
import re
import shutil
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


SET_ASIDE_PREFIX = "incomplete-"  # not `checkpoint-*`: neither resumed from nor rotated by the Trainer


def _safetensors_problem(path: Path) -> str | None:
    """A safetensors file is whole when its header parses and the data ends exactly at the end of the file."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            return f"{path.name} is truncated ({size} bytes)"
        header_size = int.from_bytes(prefix, "little")
        if 8 + header_size > size:
            return f"{path.name} is truncated ({size} bytes, its header alone needs {8 + header_size})"
        try:
            header = json.loads(f.read(header_size))
        except ValueError:
            return f"{path.name} has a damaged header"
    data_end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    if 8 + header_size + data_end != size:
        return f"{path.name} is truncated ({size} bytes, expected {8 + header_size + data_end})"
    return None


def _torch_file_problem(path: Path) -> str | None:
    """torch.save writes a zip archive; a cut-short one has no central directory at its end."""
    if not zipfile.is_zipfile(path):
        return f"{path.name} is truncated or damaged"
    return None


def weights_problem(folder: Path) -> str | None:
    """What is wrong with the model weights saved in `folder`, or None when they are whole."""
    if (folder / "model.safetensors").exists():
        return _safetensors_problem(folder / "model.safetensors")
    index = folder / "model.safetensors.index.json"
    if index.exists():
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (ValueError, KeyError):
            return f"{index.name} is unreadable"
        for shard in shards:
            if not (folder / shard).exists():
                return f"{shard} is missing"
            if problem := _safetensors_problem(folder / shard):
                return problem
        return None
    if (folder / "pytorch_model.bin").exists():
        return _torch_file_problem(folder / "pytorch_model.bin")
    return "no model weights"


def checkpoint_problem(folder: str | Path, with_optimizer: bool = True) -> str | None:
    """What is wrong with a Trainer checkpoint folder, or None when it is whole and readable.

    `with_optimizer=False` for runs with `--save_only_model`, whose checkpoints hold the weights alone.
    """
    folder = Path(folder)
    state_path = folder / "trainer_state.json"
    if not state_path.exists():
        return "no trainer_state.json (the save did not finish)"
    try:
        state = json.loads(state_path.read_text())
    except ValueError:
        return "trainer_state.json is truncated or damaged"
    match = CHECKPOINT_NAME.match(folder.name)
    if match and state.get("global_step") != int(match.group(1)):
        return f"trainer_state.json says step {state.get('global_step')}, the folder name {match.group(1)}"
    if problem := weights_problem(folder):
        return problem
    if with_optimizer:
        for name in ("optimizer.pt", "scheduler.pt"):
            if not (folder / name).exists():
                return f"{name} is missing"
            if problem := _torch_file_problem(folder / name):
                return problem
        rng_states = sorted(folder.glob("rng_state*.pth"))
        if not rng_states:
            return "no rng_state*.pth"
        for path in rng_states:
            if problem := _torch_file_problem(path):
                return problem
    return None


def find_resumable_checkpoint(output_dir: str, with_optimizer: bool = True, set_aside: bool = True) -> str | None:
    """The newest whole checkpoint in `output_dir`, or None when there is no checkpoint at all.

    Newer checkpoints that are not whole are named in a warning and, with `set_aside`, renamed to
    `incomplete-checkpoint-N` so that the resumed run writes a fresh `checkpoint-N` instead of mixing its files
    with the stale ones. Older checkpoints are left as they are. When there are checkpoints but none is whole
    (a run killed inside its first save), a ValueError says so; they are set aside, so the same command then
    starts over.
    """
    folders = [p for p in Path(output_dir).iterdir() if p.is_dir() and CHECKPOINT_NAME.match(p.name)]
    folders.sort(key=lambda p: int(CHECKPOINT_NAME.match(p.name).group(1)), reverse=True)
    damaged = []
    for folder in folders:
        problem = checkpoint_problem(folder, with_optimizer)
        if problem is None:
            break
        damaged.append((folder, problem))
        logger.warning("Not resuming from %s: %s.", folder, problem)
    else:
        folder = None
    if set_aside:
        for bad, _ in damaged:
            target = bad.with_name(SET_ASIDE_PREFIX + bad.name)
            if target.exists():  # an older leftover of the same step
                shutil.rmtree(target)
            bad.rename(target)
            logger.warning("Renamed %s to %s (kept for inspection; delete it when you like).", bad.name, target.name)
    if folder is None and damaged:
        details = "; ".join(f"{bad.name}: {problem}" for bad, problem in damaged)
        kept = " They were renamed to incomplete-checkpoint-N and kept for inspection." if set_aside else ""
        raise ValueError(
            f"{output_dir} has checkpoints but none is whole ({details}), so the run cannot resume.{kept} Rerun the "
            "same command to start over in this folder, or pass another --output_dir."
        )
    return str(folder) if folder is not None else None


def finished_steps(checkpoint: str | Path) -> int:
    """The optimizer step a whole checkpoint was saved at."""
    return json.loads((Path(checkpoint) / "trainer_state.json").read_text())["global_step"]


def finished_model_source(output_dir: str | Path, checkpoint: str | Path) -> Path:
    """Where a finished run's final model is: the output folder when its final save is whole and of the
    checkpoint's step, else the checkpoint.

    run_classification.py writes the final model into `output_dir` after the last checkpoint, then
    `trainer_state.json`; a kill between the two leaves only the checkpoint (or an earlier run's final model).
    """
    output_dir, state = Path(output_dir), Path(output_dir, "trainer_state.json")
    try:
        saved_step = json.loads(state.read_text()).get("global_step")
    except (OSError, ValueError):
        saved_step = None
    if weights_problem(output_dir) is None and saved_step == finished_steps(checkpoint):
        return output_dir
    return Path(checkpoint)
