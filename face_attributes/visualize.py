# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Pictures of what the model does: attention maps over the face, and training curves (the numbers behind the
maps are in the interpretability package)."""

import json

import numpy as np
import torch
from matplotlib.figure import Figure  # figures drawn straight to files: no pyplot, no backend to choose
from PIL import Image

from .data.images import to_rgb
from .data.labels import config_label_names
from .interpretability import attribute_maps, compute_attention_maps, upsample_to_image

CELL_INCHES, DPI = 2.0, 100  # every panel is 200×200 px, so a grid's size is known in advance
SUMMARY_COLUMNS = 1  # the text panel with the predicted attributes


def new_figure(rows: int, columns: int, figsize: tuple[float, float], dpi: int, **kwargs):
    """(figure, axes (rows, columns)): pyplot's `subplots` without pyplot's global state."""
    figure = Figure(figsize=figsize, dpi=dpi)
    return figure, figure.subplots(rows, columns, **kwargs)


def plot_attention_grid(
    images: list[Image.Image],
    maps: torch.Tensor,
    probabilities: torch.Tensor,
    titles: list[str],
    label_names: list[str],
    output_path: str,
    input_size: tuple[int, int],
    top_k: int = 8,
) -> tuple[int, int]:
    """One row per face: the face, one heat map per title over it, then the predicted attributes.

    `input_size` (height, width) is what the images were resized to for the model: the maps are placed over each
    image with `upsample_to_image`, as `interpretability.score_attention` scores them.
    """
    rows, columns = len(images), 1 + len(titles) + SUMMARY_COLUMNS
    figure, axes = new_figure(
        rows, columns, figsize=(columns * CELL_INCHES, rows * CELL_INCHES), dpi=DPI, squeeze=False
    )
    for row, image in enumerate(images):
        image = np.asarray(to_rgb(image))
        heats = upsample_to_image(maps[row : row + 1], input_size, (image.shape[1], image.shape[0]))[0]  # (M, h, w)
        axes[row, 0].imshow(image)
        axes[row, 0].set_title("input", fontsize=8)
        for column, title in enumerate(titles, start=1):
            axes[row, column].imshow(image)
            axes[row, column].imshow(heats[column - 1].numpy(), cmap="inferno", alpha=0.55)
            probability = probabilities[row, label_names.index(title)].item() if title in label_names else None
            label = f"{title} {probability:.2f}" if probability is not None else title
            axes[row, column].set_title(label, fontsize=8)
        order = torch.argsort(probabilities[row], descending=True)[:top_k]
        lines = [
            f"{'✓' if probabilities[row, i] >= 0.5 else '·'} {label_names[i][:18]:<18} {probabilities[row, i]:.2f}"
            for i in order.tolist()
        ]
        axes[row, -1].text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=7, family="monospace")
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    for axis in axes[:, -1]:
        axis.axis("off")
    figure.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.01, wspace=0.05, hspace=0.25)
    figure.savefig(output_path, dpi=DPI)
    return columns * int(CELL_INCHES * DPI), rows * int(CELL_INCHES * DPI)


def attention_map_figure(
    model,
    image_processor,
    images: list[Image.Image],
    output_path: str,
    attributes: list[str] | None = None,
    method: str = "attention",
) -> tuple[int, int]:
    """The whole path: preprocess like evaluation, run the model, plot its own attentions (or the maps of another
    `method` of `interpretability.attribute_maps`: "contribution", "grad_cam", ...)."""
    pixel_values = image_processor([to_rgb(image) for image in images], return_tensors="pt")["pixel_values"]
    if method == "attention":
        maps, probabilities, titles = compute_attention_maps(model, pixel_values.to(model.device), attributes)
    else:
        titles = attributes or config_label_names(model.config)
        maps, probabilities = attribute_maps(model, pixel_values.to(model.device), titles, method)
    return plot_attention_grid(
        images,
        maps.cpu(),
        probabilities.cpu(),
        titles,
        config_label_names(model.config),
        output_path,
        tuple(pixel_values.shape[-2:]),
    )


def plot_training(trainer_state_path: str, output_path: str) -> list[str]:
    """trainer_state.json → PNG of training loss and eval metrics over steps; returns the plotted series."""
    with open(trainer_state_path) as f:
        history = json.load(f)["log_history"]
    train = [(e["step"], e["loss"]) for e in history if "loss" in e]
    evaluations = [e for e in history if any(k.startswith("eval_") for k in e)]
    metric_names = [
        m
        for m in ("eval_accuracy", "eval_balanced_accuracy", "eval_f1", "eval_roc_auc")
        if any(m in e for e in evaluations)
    ]
    panels = 2 if metric_names else 1
    figure, axes = new_figure(1, panels, figsize=(6 * panels, 4), dpi=DPI, squeeze=False)
    plotted = []
    loss_axis = axes[0, 0]
    if train:
        loss_axis.plot(*zip(*train), label="train loss")
        plotted.append("train loss")
    eval_loss = [(e["step"], e["eval_loss"]) for e in evaluations if "eval_loss" in e]
    if eval_loss:
        loss_axis.plot(*zip(*eval_loss), marker="o", label="eval loss")
        plotted.append("eval loss")
    loss_axis.set(xlabel="step", ylabel="loss", title="loss")
    if not train and not eval_loss:
        loss_axis.text(0.5, 0.5, "no losses logged", ha="center", va="center", transform=loss_axis.transAxes)
    if plotted:
        loss_axis.legend(loc="best")
    if metric_names:
        metric_axis = axes[0, 1]
        for name in metric_names:
            points = [(e["step"], e[name]) for e in evaluations if name in e]
            metric_axis.plot(*zip(*points), marker="o", label=name.removeprefix("eval_"))
            plotted.append(name)
        metric_axis.set(xlabel="step", ylabel="mean over attributes", title="evaluation", ylim=(0, 1.01))
        metric_axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(output_path, dpi=DPI)
    return plotted


def plot_reliability(
    reliability: dict, attributes: list[str], output_path: str, calibrated: dict | None = None
) -> list[str]:
    """A reliability diagram per attribute from `<split>_reliability.json`: the share of positives against the mean
    probability in each bin (the diagonal is perfect calibration), point sizes by count; with `calibrated` (the
    `<split>_calibrated_reliability.json` of a run with temperatures) its points too, in another colour. Returns the
    plotted names."""
    columns = min(4, len(attributes))
    rows = -(-len(attributes) // columns)  # ceil
    figure, axes = new_figure(rows, columns, figsize=(3 * columns, 3 * rows), dpi=DPI, squeeze=False)
    drawn = [("before" if calibrated else None, reliability, "tab:blue")]
    if calibrated:
        drawn.append(("after temperature scaling", calibrated, "tab:orange"))
    for axis, name in zip(axes.flat, attributes):
        axis.plot([0, 1], [0, 1], color="grey", linewidth=1)
        for label, table, colour in drawn:
            bins = [b for b in table[name]["bins"] if b["count"]]
            sizes = [10 + 90 * b["count"] / max(x["count"] for x in bins) for b in bins]
            points = [b["mean_probability"] for b in bins], [b["positive_rate"] for b in bins]
            axis.scatter(*points, s=sizes, color=colour, alpha=0.7, label=label)
        eces = " → ".join(f"{table[name]['ece']:.3f}" for _, table, _ in drawn)
        axis.set(xlim=(0, 1), ylim=(0, 1), title=f"{name} (ECE {eces})")
        axis.title.set_fontsize(9)
    if calibrated:
        axes.flat[0].legend(fontsize=7, loc="upper left")
    for axis in axes.flat[len(attributes) :]:
        axis.axis("off")
    figure.supxlabel("mean predicted probability in the bin")
    figure.supylabel("share of positives in the bin")
    figure.tight_layout()
    figure.savefig(output_path, dpi=DPI)
    return attributes


def plot_budget(points: list[dict], output_path: str, anchor: dict[str, float] | None = None) -> list[str]:
    """Accuracy against training time: one line per model and image size through its budgets, for each metric.

    `points`: dicts with `model`, `image size` (px), `label` (the budget, e.g. "4 ep, 112 px"), `minutes` and one key
    per metric (`mean test accuracy`, `Male test accuracy`, in %); `anchor`: {metric: a reference value}, drawn
    dashed. Returns the lines' names, as in the legend.
    """
    metrics = [key for key in points[0] if key.endswith("accuracy")]
    models = list(dict.fromkeys(p["model"] for p in points))
    sizes = sorted({p["image size"] for p in points})
    # A larger image costs more per epoch, so its points lie on another curve: joining them to the first size's
    # line would draw a slope that no budget of either size has. Same colour per model, another marker per size.
    lines = {
        (model, size): f"{model}, {size} px" if len(sizes) > 1 else model
        for model in models
        for size in sizes
        if any(p["model"] == model and p["image size"] == size for p in points)
    }
    figure, axes = new_figure(1, len(metrics), (5.5 * len(metrics), 4.2), DPI, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for (model, size), name in lines.items():
            mine = sorted(
                (p for p in points if (p["model"], p["image size"]) == (model, size)), key=lambda p: p["minutes"]
            )
            style = "o-" if size == sizes[0] else "s--"
            color = f"C{models.index(model)}"
            ax.plot([p["minutes"] for p in mine], [p[metric] for p in mine], style, color=color, label=name)
        # Each budget labelled once, under its lower point: the models' points of one budget lie close together.
        for label in dict.fromkeys(p["label"] for p in points):
            lowest = min((p for p in points if p["label"] == label), key=lambda p: p[metric])
            ax.annotate(
                label, (lowest["minutes"], lowest[metric]), fontsize=7, xytext=(3, -10), textcoords="offset points"
            )
        if anchor and metric in anchor:
            ax.axhline(anchor[metric], linestyle="--", color="grey", label=f"anchor {anchor[metric]:.2f} %")
        ax.set_xlabel("training wall-clock (minutes, 2 CPU cores)")
        ax.set_ylabel(f"{metric} (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(output_path)
    return list(lines.values())
