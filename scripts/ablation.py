#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""What does each part buy? Train a ladder of variants × seeds with run_classification.py and compare them.

    python scripts/ablation.py --output_dir outputs/ablation -- --dataset_name synthetic --label_columns all \\
        --backbone_name_or_path none --image_size 112 --num_train_epochs 2 --learning_rate 1e-3
    python scripts/ablation.py --output_dir outputs/ablation-celeba --launcher "accelerate launch --multi_gpu" \\
        -- --dataset_name flwrlabs/celeba --label_columns all --bf16 --num_train_epochs 10

A variant is a name from the ladder below or `NAME=FLAGS`, any run_classification.py flags (they come after the
passthrough ones, so they win), e.g. `--variants plain "stage3-160=--backbone_stage stage3 --image_size 160"`.
Everything after `--` goes to run_classification.py unchanged. Finished runs (their all_results.json exists) are
skipped, and an interrupted run resumes from its own checkpoints, so rerunning the same command completes the
ladder; a run folder begun with other run_classification.py arguments (another budget, precision or dataset) stops
the call with an error instead, since skipping or resuming it would mix two settings in one table. Writes
ablation.csv (a row per run), ablation.md (mean ± std over seeds, and each variant's paired difference from the plain
baseline with a 95 % interval) and ablation.png (accuracy and speed with error bars).
"""

import argparse
import csv
import json
import math
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch

# Imported here, not where collect() needs them: without the project installed (`pip install -e .`) this stops at
# once, not after the first run has trained for an hour.
from face_attributes.data.synthetic import make_face
from face_attributes.inference.pipeline import load_saved_model
from face_attributes.interpretability import meets_targets, score_attention

ROOT = Path(__file__).resolve().parents[1]

# name → (what it is, run_classification.py flags). The first is the baseline the others are compared with.
VARIANTS = {
    "plain": (
        "ResNet-18 + global average pool + linear (transformers' ResNetForImageClassification)",
        shlex.split("--sequence_encoder none --pooling global_average --classifier_dropout 0 --backbone_stage stage4"),
    ),
    "attention": (
        "no sequence encoder, attribute queries over the backbone tokens",
        ["--sequence_encoder", "none", "--pooling", "attribute_queries"],
    ),
    "bilstm-mean": (
        "BiLSTM, self-attention, mean over tokens (the original design)",
        ["--sequence_encoder", "lstm", "--pooling", "self_attention_mean"],
    ),
    "bilstm-queries": (
        "BiLSTM + attribute queries (the default model)",
        ["--sequence_encoder", "lstm", "--pooling", "attribute_queries"],
    ),
    "gru-queries": ("BiGRU + attribute queries", ["--sequence_encoder", "gru", "--pooling", "attribute_queries"]),
    # The map designs of issue #39 (docs/celeba.md, "Which design makes the maps specific"): each a change to the
    # default model that should make an attribute's map show where it is read from.
    "fine-grid": ("default, attention over the value stage's finer grid", ["--attention_grid", "value_stage"]),
    "local": (
        "default, keys from the value stage alone on its grid (the BiLSTM moves the queries)",
        shlex.split("--attention_keys local --attention_grid value_stage"),
    ),
    "entmax": ("default, 1.5-entmax attention (sparse maps)", ["--attention_normalization", "entmax15"]),
    "map-prior": ("default, + KL(region ‖ map) for the local attributes", ["--map_prior_weight", "1"]),
    "stage1-local-entmax-prior": (
        "local-entmax-prior with layer1 values and keys on layer1's grid (a quarter of layer2's receptive field)",
        shlex.split(
            "--value_stage stage1 --attention_keys local --attention_grid value_stage "
            "--attention_normalization entmax15 --map_prior_weight 1"
        ),
    ),
    "local-entmax-prior": (
        "local keys on the finer grid + entmax + the map prior",
        shlex.split(
            "--attention_keys local --attention_grid value_stage --attention_normalization entmax15 "
            "--map_prior_weight 1"
        ),
    ),
}
# Two-sided 95 % Student t quantiles by degrees of freedom (the normal 1.96 beyond 30).
T_975 = dict(
    zip(
        (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 30),
        (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.131, 2.086, 2.042),
    )
)


FLAGS = {name: flags for name, (_, flags) in VARIANTS.items()}  # every variant's flags, with NAME=FLAGS ones


def parse_variant(text: str) -> str:
    """A ladder name, or NAME=FLAGS (registered in FLAGS); returns the name."""
    if "=" in text:
        name, flags = text.split("=", 1)
        if not name or "/" in name:
            raise argparse.ArgumentTypeError(f"{text!r}: NAME=FLAGS needs a folder-safe NAME")
        FLAGS[name] = shlex.split(flags)
        return name
    if text not in VARIANTS:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {list(VARIANTS)}; or pass NAME=FLAGS")
    return text


def t_quantile(df: int) -> float:
    return T_975[max(k for k in T_975 if k <= df)] if df <= 30 else 1.96


def synthetic_setting(passthrough: list[str]) -> str | None:
    """The synthetic setting the runs train on, or None for real data (no attribute boxes to score maps with)."""

    def value(flag):
        return passthrough[passthrough.index(flag) + 1] if flag in passthrough[:-1] else None

    if value("--dataset_name") != "synthetic":
        return None
    return value("--dataset_config_name") or "default"


def run_arguments(variant_flags: list[str], seed: int, passthrough: list[str]) -> list[str]:
    """What one run trains with: run_classification.py's arguments, less --output_dir (a folder may move)."""
    return [*passthrough, *variant_flags, "--seed", str(seed), "--do_train", "--do_eval"]


def logged_arguments(run_dir: Path) -> list[str] | None:
    """The arguments the run in run_dir was last started with, from its log ("$ COMMAND" lines), or None."""
    log = run_dir / "ablation_run.log"
    if not log.exists():
        return None
    commands = [line[2:] for line in log.read_text(errors="replace").splitlines() if line.startswith("$ ")]
    if not commands:
        return None
    command = shlex.split(commands[-1])
    script = next((i for i, part in enumerate(command) if part.endswith("run_classification.py")), None)
    if script is None:  # not a line this script wrote
        return None
    arguments = command[script + 1 :]
    if "--output_dir" in arguments:  # the flag and its value
        at = arguments.index("--output_dir")
        del arguments[at : at + 2]
    return arguments


def check_same_arguments(run_dir: Path, arguments: list[str]) -> None:
    """Refuse to skip or resume a run begun with other arguments: its result would stand for a setting it was not
    trained with (e.g. a recipe whose default budget changed, rerun into the same folder)."""
    logged = logged_arguments(run_dir)
    if logged is not None and logged != arguments:
        raise SystemExit(
            f"{run_dir} was started with other run_classification.py arguments than this call's:\n"
            f"  then: {shlex.join(logged)}\n  now:  {shlex.join(arguments)}\n"
            f"Give this call another --output_dir, or delete {run_dir} to train it again with the new arguments."
        )


def run_one(run_dir: Path, arguments: list[str], launcher: list[str]) -> None:
    command = [*launcher, str(ROOT / "run_classification.py"), *arguments, "--output_dir", str(run_dir)]
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "ablation_run.log", "a") as log:
        log.write(f"$ {shlex.join(command)}\n")
        log.flush()
        result = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(
            f"{shlex.join(command)} failed (exit {result.returncode}); see {run_dir / 'ablation_run.log'}. "
            "Rerunning this script resumes it."
        )


def collect(run_dir: Path, variant: str, seed: int, setting: str | None) -> dict:
    """One CSV row: metrics from all_results.json, parameters and attention scores from the saved model."""
    results = json.loads((run_dir / "all_results.json").read_text())
    scores_path = run_dir / "attention_scores.json"
    if not scores_path.exists():
        model, processor = load_saved_model(run_dir)
        scores = {"parameters": sum(p.numel() for p in model.parameters())}
        if setting is not None and model.has_attention_maps:
            faces = [make_face(0, "validation", i, setting) for i in range(256)]  # as attention_maps.py --score
            with torch.no_grad():
                per_attribute = score_attention(model, processor, faces)
            scores["attributes"] = per_attribute
            scores["pointing_game"] = sum(s["pointing_game"] for s in per_attribute.values()) / len(per_attribute)
            scores["energy_ratio"] = sum(s["energy"] / s["area_share"] for s in per_attribute.values()) / len(
                per_attribute
            )
        scores_path.write_text(json.dumps(scores, indent=2))
    scores = json.loads(scores_path.read_text())
    row = {
        "variant": variant,
        "seed": seed,
        "accuracy": results["eval_accuracy"],
        "balanced_accuracy": results["eval_balanced_accuracy"],
        "parameters": scores["parameters"],
        "train_images_per_second": results.get("train_samples_per_second"),
        "pointing_game": scores.get("pointing_game"),
        "energy_ratio": scores.get("energy_ratio"),
    }
    if "attributes" in scores:  # the attribute the maps find worst: the pointing game asks for every attribute
        worst = min(scores["attributes"], key=lambda a: scores["attributes"][a]["pointing_game"])
        row["worst_pointing_game"] = scores["attributes"][worst]["pointing_game"]
        row["worst_pointing_attribute"] = worst
        row["attributes_meeting_targets"] = sum(meets_targets(s) for s in scores["attributes"].values())
        row["scored_attributes"] = len(scores["attributes"])
    row.update({k.removeprefix("eval_"): v for k, v in results.items() if k.startswith("eval_accuracy_")})
    return row


def mean_std(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return mean, std


def paired_difference(rows: list[dict], variant: str, baseline: str, key: str) -> tuple[float, float, int] | None:
    """Mean over seeds of (variant − baseline) and the half-width of its 95 % t interval."""
    by_seed = {(r["variant"], r["seed"]): r[key] for r in rows}
    diffs = [
        by_seed[(variant, s)] - by_seed[(baseline, s)]
        for (v, s) in by_seed
        if v == variant and (baseline, s) in by_seed
    ]
    if len(diffs) < 2:
        return None
    mean, std = mean_std(diffs)
    return mean, t_quantile(len(diffs) - 1) * std / math.sqrt(len(diffs)), len(diffs)


def markdown_table(rows: list[dict], variants: list[str]) -> str:
    baseline = variants[0]
    fmt = lambda pair, scale=100, digits=2: f"{pair[0] * scale:.{digits}f} ± {pair[1] * scale:.{digits}f}"  # noqa: E731
    lines = [
        f"| variant | seeds | accuracy % | balanced accuracy % | Δ accuracy vs {baseline} (95 % CI), points | "
        "parameters | train images/s | pointing game | worst attribute's pointing game | energy / area | "
        "attributes meeting both map targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in variants:
        mine = [r for r in rows if r["variant"] == variant]
        if not mine:
            continue
        diff = paired_difference(rows, variant, baseline, "accuracy") if variant != baseline else None
        diff_text = f"{diff[0] * 100:+.2f} ± {diff[1] * 100:.2f}" if diff else "–"
        speed = [r["train_images_per_second"] for r in mine if r["train_images_per_second"]]
        pointing = [r["pointing_game"] for r in mine if r["pointing_game"] is not None]
        energy = [r["energy_ratio"] for r in mine if r["energy_ratio"] is not None]
        worst = [r for r in mine if r.get("worst_pointing_game") is not None]
        worst_text = (
            f"{min(r['worst_pointing_game'] for r in worst):.2f} "
            f"({', '.join(sorted({r['worst_pointing_attribute'] for r in worst}))})"
            if worst
            else "–"
        )
        met = sorted({r["attributes_meeting_targets"] for r in worst})  # the range over seeds
        met_text = "–"
        if met:
            met_text = f"{met[0] if len(met) == 1 else f'{met[0]}–{met[-1]}'} of {worst[0]['scored_attributes']}"
        lines.append(
            f"| {variant} | {len(mine)} | {fmt(mean_std([r['accuracy'] for r in mine]))} | "
            f"{fmt(mean_std([r['balanced_accuracy'] for r in mine]))} | {diff_text} | {mine[0]['parameters']:,} | "
            f"{fmt(mean_std(speed), 1, 1) if speed else '–'} | {fmt(mean_std(pointing), 1) if pointing else '–'} | "
            f"{worst_text} | "
            f"{fmt(mean_std(energy), 1, 1) + '×' if energy else '–'} | {met_text} |"
        )
    legend = "\n".join(
        f"- `{v}`: {VARIANTS[v][0]}" if v in VARIANTS else f"- `{v}`: `{' '.join(FLAGS.get(v, []))}`" for v in variants
    )
    return "\n".join(lines) + "\n\n" + legend + "\n"


def plot(rows: list[dict], variants: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [v for v in variants if any(r["variant"] == v for r in rows)]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    for axis, key, label, scale in (
        (axes[0], "accuracy", "mean accuracy (%)", 100),
        (axes[1], "train_images_per_second", "train images/s", 1),
    ):
        stats = [mean_std([r[key] * scale for r in rows if r["variant"] == v and r[key]]) for v in present]
        axis.bar(present, [m for m, _ in stats], yerr=[s for _, s in stats], capsize=5, color="#4c72b0")
        axis.set_ylabel(label)
        axis.tick_params(axis="x", rotation=20)
        if key == "accuracy":
            low = min(m - s for m, s in stats)
            axis.set_ylim(max(0, low - 2), min(100, max(m + s for m, s in stats) + 1))
    figure.suptitle("Ablation: mean ± std over seeds")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(argv: list[str] | None = None) -> list[dict]:
    argv = sys.argv[1:] if argv is None else argv
    ours, passthrough = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", required=True, help="Runs go to OUTPUT_DIR/VARIANT/seedS; tables here.")
    parser.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        type=parse_variant,
        help=f"The ladder ({', '.join(VARIANTS)}, or NAME=FLAGS); the first is the baseline of the paired differences.",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--launcher",
        default=f"{shlex.quote(sys.executable)}",
        help="How to start run_classification.py, e.g. 'accelerate launch --multi_gpu'.",
    )
    args = parser.parse_args(ours)
    output_dir, launcher, setting = Path(args.output_dir), shlex.split(args.launcher), synthetic_setting(passthrough)
    output_dir.mkdir(parents=True, exist_ok=True)
    runs = [(variant, seed) for seed in args.seeds for variant in args.variants]
    rows, started = [], time.time()
    for number, (variant, seed) in enumerate(runs, start=1):
        run_dir = output_dir / variant / f"seed{seed}"
        arguments = run_arguments(FLAGS[variant], seed, passthrough)
        check_same_arguments(run_dir, arguments)
        if (run_dir / "all_results.json").exists():
            status = "finished earlier, skipped"
        else:
            begin = time.time()
            run_one(run_dir, arguments, launcher)
            status = f"trained in {time.time() - begin:.0f} s"
        rows.append(collect(run_dir, variant, seed, setting))
        print(
            f"[{number}/{len(runs)}] {variant} seed {seed}: {status}; accuracy {rows[-1]['accuracy']:.4f}", flush=True
        )

    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(output_dir / "ablation.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    table = markdown_table(rows, args.variants)
    command = shlex.join(["python", "scripts/ablation.py", *argv])
    (output_dir / "ablation.md").write_text(f"{table}\nCommand: `{command}`\n")
    plot(rows, args.variants, output_dir / "ablation.png")
    print(table)
    print(f"Wrote {output_dir / 'ablation.csv'}, ablation.md and ablation.png ({time.time() - started:.0f} s).")
    return rows


if __name__ == "__main__":
    main()
