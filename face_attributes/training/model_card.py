# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The README.md model card that run_classification.py writes beside the weights, to the Hub's conventions.

The YAML metadata is built by `huggingface_hub.ModelCardData` (licence, datasets, base model, metrics and a
`model-index` with the validation and test results), so `ModelCard.load` and the Hub read it as they read any card.
"""

import json
import os
from dataclasses import dataclass, field

import numpy as np
import torch
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ..engine import Engine, describe_device
from .metrics import METRIC_NAMES

CELEBA_LICENCE_LINK = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
CELEBA_LICENCE = (
    "Trained on CelebA, which is available for non-commercial research purposes only "
    f"({CELEBA_LICENCE_LINK}): this model inherits that restriction. Do not use it "
    "commercially, and do not use it to identify people."
)
CELEBA_CITATION = """@inproceedings{liu2015faceattributes,
  title     = {Deep Learning Face Attributes in the Wild},
  author    = {Liu, Ziwei and Luo, Ping and Wang, Xiaogang and Tang, Xiaoou},
  booktitle = {Proceedings of International Conference on Computer Vision (ICCV)},
  year      = {2015}
}"""
METRIC_TITLES = {
    "accuracy": "mean accuracy",
    "balanced_accuracy": "mean balanced accuracy",
    "f1": "mean F1",
    "roc_auc": "mean ROC-AUC",
}
# The split prefixes run_classification.py gives the Trainer's metrics → the split names the Hub shows.
RESULT_SPLITS = {"eval": "validation", "test": "test"}


@dataclass
class DataSource:
    """What the card says about the training data: a name without local paths, and the Hub id when there is one."""

    name: str
    hub_id: str | None = None
    kind: str = "hub"  # face_attributes.data.sources.source_kind's answer
    celeba: bool = False
    split_sizes: dict[str, int] = field(default_factory=dict)


def write_model_card(
    output_dir: str,
    label_names: list[str],
    metrics: dict,
    source: DataSource,
    arguments: dict,
    base_model: str | None = None,
    thresholds: dict[str, float] | None = None,
) -> ModelCard:
    """README.md in the output folder: Hub metadata, results, intended use, limitations, data and compute,
    thresholds, how to load it, citations and the training arguments (local paths left out)."""
    card = ModelCard(
        f"---\n{card_metadata(metrics, source, base_model).to_yaml()}\n---\n"
        + card_body(output_dir, label_names, metrics, source, arguments, base_model, thresholds)
    )
    card.save(os.path.join(output_dir, "README.md"))
    return card


def card_metadata(metrics: dict, source: DataSource, base_model: str | None) -> ModelCardData:
    licence = (
        dict(license="other", license_name="celeba-research-only", license_link=CELEBA_LICENCE_LINK)
        if source.celeba
        else dict(license="mit")
    )
    return ModelCardData(
        model_name="resnet-lstm-attention face attributes",
        library_name="transformers",
        pipeline_tag="image-classification",
        tags=["face-attributes", "multi-label", "resnet", "lstm", "attention", *(["celeba"] if source.celeba else [])],
        datasets=[source.hub_id] if source.hub_id else None,
        base_model=base_model,
        metrics=list(METRIC_NAMES),
        eval_results=eval_results(metrics, source) or None,
        **licence,
    )


def eval_results(metrics: dict, source: DataSource) -> list[EvalResult]:
    """The model-index entries: each mean metric the run measured on validation and (with --do_predict) test."""
    return [
        EvalResult(
            task_type="image-classification",
            task_name="Multi-label facial attribute classification",
            dataset_type=source.hub_id or ("celeba" if source.celeba else source.kind),
            dataset_name=source.name,
            dataset_split=split,
            metric_type=name,
            metric_name=f"{METRIC_TITLES[name]} ({split})",
            metric_value=round(float(metrics[f"{prefix}_{name}"]), 4),
        )
        for prefix, split in RESULT_SPLITS.items()
        for name in METRIC_NAMES
        if _finite(metrics.get(f"{prefix}_{name}"))
    ]


def card_body(
    output_dir: str,
    label_names: list[str],
    metrics: dict,
    source: DataSource,
    arguments: dict,
    base_model: str | None,
    thresholds: dict[str, float] | None,
) -> str:
    folder = os.path.basename(os.path.abspath(output_dir))
    sections = [
        f"# ResNet → BiLSTM → attention face-attribute classifier\n\nMulti-label classifier of {len(label_names)} "
        "facial attribute(s), one sigmoid output each, trained with the face-attributes project's "
        f"`run_classification.py` on {source.name}, starting from {base_model or 'random weights'}.",
        results_section(label_names, metrics),
        USES_SECTION + (f"\n\n{CELEBA_LICENCE}" if source.celeba else ""),
        limitations_section(source) + group_gaps_section(metrics, arguments.get("group_columns") or []),
        training_section(source, metrics, arguments),
        thresholds_section(thresholds) + calibration_section(metrics),
        HOW_TO_USE.format(folder=folder, top_k=len(label_names)),
        CITATION_SECTION + (f"\n\nCelebA:\n\n```bibtex\n{CELEBA_CITATION}\n```" if source.celeba else ""),
        "## Training arguments\n\n```json\n"
        + json.dumps(without_local_paths(arguments), indent=2, sort_keys=True, default=str)
        + "\n```",
    ]
    return "\n\n".join(sections) + "\n"


def results_section(label_names: list[str], metrics: dict) -> str:
    """One table per split the run measured: the mean, then each attribute."""
    tables = []
    for prefix, split in RESULT_SPLITS.items():
        if f"{prefix}_accuracy" not in metrics:
            continue
        rows = [f"| **mean** | {_row(metrics, prefix, None)} |"]
        rows += [f"| {name} | {_row(metrics, prefix, name)} |" for name in label_names]
        tables.append(
            f"### {split.capitalize()}\n\n| attribute | accuracy | balanced accuracy | F1 | ROC-AUC |\n"
            "|---|---|---|---|---|\n" + "\n".join(rows)
        )
    body = "\n\n".join(tables) or "No evaluation ran (pass --do_eval, and --do_predict for the test split)."
    return "## Results\n\nDecisions at 0.5 for accuracy, balanced accuracy and F1.\n\n" + body


USES_SECTION = """## Intended use

Research and teaching: studying how a CNN, a BiLSTM and attention combine for facial attributes, and where the
attention looks (the project's `scripts/attention_maps.py`). Input: one face, aligned and cropped as CelebA's
178×218 images are (eyes level, face centred); the project's `scripts/predict.py --detect_faces` crops photos so.

### Out-of-scope use

Identifying or tracking people; decisions about people (hiring, policing, access, credit); inferring sensitive
traits from the labels' names (the labels are annotators' judgements of appearance, not facts about a person);
faces that are not aligned crops; any commercial use of a model trained on CelebA."""


def limitations_section(source: DataSource) -> str:
    lines = [
        "## Bias, risks and limitations",
        "",
        "- Inputs are expected as aligned face crops in CelebA's 178×218 framing; other framings lower accuracy "
        "without warning.",
        "- Attention maps show where the attribute queries read, to about one token of the feature map; which "
        "region a query settles on for small attributes (a mustache, lipstick) depends on the training seed.",
    ]
    if source.celeba:
        lines += [
            "- CelebA is celebrity photos: mostly young, light-skinned faces, and several labels follow gender "
            "(Heavy_Makeup, Wearing_Lipstick, Attractive). Errors are not spread evenly over groups; measure them "
            "on your own population before relying on any output.",
            "- Some labels are subjective (Attractive, Oval_Face, Big_Nose) and noisy: accuracy on them has a low "
            "ceiling and says little about the model.",
        ]
    if source.kind == "synthetic":
        lines.append("- Trained on cartoon faces only: its outputs on photographs mean nothing.")
    return "\n".join(lines)


def group_gaps_section(metrics: dict, group_columns: list[str], shown: int = 5) -> str:
    """The attributes with the largest equalized-odds gaps between the groups of `--group_columns` (test split if
    it ran, else validation), or nothing when the run measured no groups."""
    prefix = "test" if "test_equalized_odds_gap" in metrics else "eval"
    key = f"{prefix}_equalized_odds_gap_"
    gaps = {name[len(key) :]: value for name, value in metrics.items() if name.startswith(key) and _finite(value)}
    if not gaps:
        return ""
    largest = sorted(gaps, key=gaps.get, reverse=True)[:shown]
    rows = "\n".join(
        f"| {name} | {gaps[name]:.3f} | {_fmt(metrics.get(f'{prefix}_demographic_parity_gap_{name}'))} | "
        f"{_fmt(metrics.get(f'{prefix}_worst_group_accuracy_{name}'))} | "
        f"{_fmt(metrics.get(f'{prefix}_worst_cell_accuracy_{name}'))} |"
        for name in largest
    )
    return (
        f"\n\nMeasured on this run's {RESULT_SPLITS[prefix]} split, groups by {', '.join(group_columns)} "
        f"(`{prefix}_group_metrics.csv` has every attribute and group): the {len(largest)} attributes with the largest "
        "equalized-odds gap (the largest difference between groups in true or false positive rate, decisions at 0.5); "
        "the worst cell is the worst group crossed with the attribute's own value.\n\n"
        "| attribute | equalized-odds gap | demographic-parity gap | worst group accuracy | worst cell accuracy |\n"
        f"|---|---|---|---|---|\n{rows}"
    )


def training_section(source: DataSource, metrics: dict, arguments: dict) -> str:
    sizes = ", ".join(f"{split} {count:,}" for split, count in source.split_sizes.items()) or "not recorded"
    training = arguments.get("training", {})
    runtime, epochs = metrics.get("train_runtime"), metrics.get("epoch")
    return (
        "## Training data and compute\n\n"
        f"- Data: {source.name}; images per split: {sizes}.\n"
        f"- Image size {arguments.get('image_size')} px, "
        + (f"augmentation {arguments['augmentation']}, " if arguments.get("augmentation") else "")
        + f"{engine_name(training)}, "
        + (f"{epochs:.2f} epoch(s)" if epochs is not None else "no training")
        + f", batch "
        f"{training.get('per_device_train_batch_size')} per device, learning rate {training.get('learning_rate')}, "
        f"seed {training.get('seed')}.\n"
        f"- Hardware: {describe_hardware()}; training time: "
        + (f"{runtime / 60:.1f} min" if runtime else "no training in this run")
        + "."
    )


def thresholds_section(thresholds: dict[str, float] | None) -> str:
    if not thresholds:
        return "## Decision thresholds\n\nNo per-attribute thresholds were chosen (no validation run): use 0.5."
    rows = "\n".join(f"| {name} | {value:.2f} |" for name, value in thresholds.items())
    return (
        "## Decision thresholds\n\n`thresholds.json` holds, per attribute, the probability cut that maximises "
        "balanced accuracy on the validation split (`scripts/predict.py --threshold saved` applies them):\n\n"
        f"| attribute | threshold |\n|---|---|\n{rows}"
    )


def calibration_section(metrics: dict) -> str:
    """A paragraph on calibration: the mean ECE of the last split evaluated, and after temperature scaling if fitted."""
    split = "test" if "test_ece" in metrics else "eval"
    if f"{split}_ece" not in metrics:
        return ""
    text = (
        f"\n\n## Calibration\n\nMean expected calibration error over the attributes ({split} split, 15 bins): "
        f"{metrics[f'{split}_ece']:.3f}"
    )
    if f"{split}_calibrated_ece" in metrics:
        text += (
            f"; {metrics[f'{split}_calibrated_ece']:.3f} after temperature scaling (`temperatures.json`, fitted on "
            "validation, applied by the project's pipeline to every probability it gives)"
        )
    return text + "."


HOW_TO_USE = """## How to use

```python
from transformers import pipeline

classifier = pipeline("image-classification", model="{folder}", trust_remote_code=True)
classifier("face.jpg", top_k={top_k})  # one probability per attribute
```

Or `AutoModelForImageClassification.from_pretrained(path, trust_remote_code=True)` with
`AutoImageProcessor.from_pretrained(path)`."""

CITATION_SECTION = """## Citation

The model and training script: the face-attributes project (MIT licence)."""


def engine_name(training: dict) -> str:
    """How the run computed: `fp32`, `bf16 + channels_last`, … (fp16 too), from the training arguments."""
    if training.get("fp16"):
        return "fp16" + (" + channels_last" if training.get("channels_last") else "")
    return Engine(bf16=bool(training.get("bf16")), channels_last=bool(training.get("channels_last"))).name


def describe_hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.device_count()} × {torch.cuda.get_device_name(0)}"
    return f"CPU ({describe_device('cpu')})"


def without_local_paths(value):
    """The arguments with every local path (absolute, or one that exists here) replaced by a placeholder: a card
    is for other people, and a folder's location on the training machine means nothing to them."""
    if isinstance(value, dict):
        return {key: without_local_paths(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_local_paths(item) for item in value]
    if isinstance(value, str) and value and (os.path.isabs(value) or os.path.exists(value)):
        return "<local path>"
    return value


def _row(metrics: dict, prefix: str, name: str | None) -> str:
    suffix = f"_{name}" if name else ""
    return " | ".join(_fmt(metrics.get(f"{prefix}_{m}{suffix}")) for m in METRIC_NAMES)


def _finite(value) -> bool:
    return isinstance(value, int | float) and np.isfinite(value)


def _fmt(value) -> str:
    return f"{value:.4f}" if _finite(value) else "–"
