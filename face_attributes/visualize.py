# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Pictures of what the model does: attention maps over the face, and training curves."""

import json
import math

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from .images import to_rgb  # noqa: E402

CELL_INCHES, DPI = 2.0, 100  # every panel is 200×200 px, so a grid's size is known in advance
SUMMARY_COLUMNS = 1  # the text panel with the predicted attributes


def logits_and_attention_grid(model, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B, L), the attention averaged over heads on the token grid (B, Q, H, W)).

    What every picture and score is drawn from; an exported ONNX model computes exactly this (`onnx_export`), and
    a loaded one (`onnx_model.OnnxClassifier`) provides it as a method of its own.
    """
    if hasattr(model, "logits_and_attention_grid"):
        return model.logits_and_attention_grid(pixel_values)
    outputs = model(pixel_values, output_attentions=True, output_hidden_states=True)
    height, width = outputs.hidden_states[model.base_model.token_stage_index].shape[-2:]  # the token grid
    weights = outputs.attentions[0].float().mean(dim=1)  # (B, Q, H*W), averaged over heads
    return outputs.logits, weights.reshape(*weights.shape[:2], height, width)  # (B, Q, H, W)


@torch.no_grad()
def compute_attention_maps(model, pixel_values: torch.Tensor, attributes: list[str] | None = None):
    """(maps (B, M, H, W), probabilities (B, L), map titles) from the attentions the model returns.

    `attribute_queries` pooling: one map per chosen attribute, head-averaged. `mean` pooling: the pooled
    output is the mean over queries of the attended tokens, so the weight each token contributes is the
    attention averaged over queries (and heads): that one map is what the classifier actually used.
    """
    if model.config.pooling == "average":
        raise ValueError("A model with `pooling='average'` has no attention, so it has no attention maps.")
    logits, weights = logits_and_attention_grid(model, pixel_values)  # (B, L), (B, Q, H, W)
    probabilities = torch.sigmoid(logits.float())
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if model.config.pooling == "attribute_queries":
        chosen = attributes or names
        unknown = [a for a in chosen if a not in names]
        if unknown:
            raise ValueError(f"Unknown attribute(s) {unknown}; the model predicts {names}.")
        maps = weights[:, [names.index(a) for a in chosen]]  # (B, M, H, W)
        titles = chosen
    else:
        maps = weights.mean(dim=1, keepdim=True)  # (B, 1, H, W)
        titles = ["attention (mean pooling)"]
    return maps, probabilities, titles


def upsample_to_image(maps: torch.Tensor, input_size: tuple[int, int], image_size: tuple[int, int]) -> torch.Tensor:
    """Token maps (B, M, H, W) → (B, M, height, width) over an image of `image_size` (width, height), bilinearly.

    The model saw the image stretched to `input_size` (height, width). Each token is placed at the centre of its
    receptive field: a stride-2 convolution with "same" padding centres output j on input pixel 2j, so at stride s
    token (i, j) sits over input pixel (i·s, j·s), half a cell up and left of the centre of the i-th of H equal
    bands (where `interpolate(..., align_corners=False)` would put it). Beyond the outer tokens the map is constant.
    """
    height, width = maps.shape[-2:]
    image_width, image_height = image_size

    def token_coordinates(pixels: int, inputs: int, tokens: int) -> torch.Tensor:
        stride = 2 ** round(math.log2(inputs / tokens))  # a power of two for strided CNNs (ResNet: 4, 8, 16, 32)
        centres = (torch.arange(pixels, dtype=torch.float32) + 0.5) * inputs / pixels  # image pixel → input (continuous)
        position = (centres - 0.5) / stride  # in token units: token k's centre is input pixel k·s, i.e. k·s + 0.5
        return position / max(tokens - 1, 1) * 2 - 1  # grid_sample's [-1, 1] with align_corners=True

    ys = token_coordinates(image_height, input_size[0], height)
    xs = token_coordinates(image_width, input_size[1], width)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (height, width, 2) as (x, y)
    batch, count = maps.shape[:2]
    flat = maps.float().reshape(batch * count, 1, height, width)  # (B*M, 1, H, W)
    grid = grid.unsqueeze(0).expand(batch * count, -1, -1, -1).to(flat.device)
    heat = torch.nn.functional.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return heat.reshape(batch, count, image_height, image_width)  # (B, M, height, width)


def plot_attention_grid(
    images: list[Image.Image], maps: torch.Tensor, probabilities: torch.Tensor, titles: list[str],
    label_names: list[str], output_path: str, input_size: tuple[int, int], top_k: int = 8,
) -> tuple[int, int]:  # fmt: skip
    """One row per face: the face, one heat map per title over it, then the predicted attributes.

    `input_size` (height, width) is what the images were resized to for the model: the maps are placed over each
    image with `upsample_to_image`, as `score_attention` scores them.
    """
    rows, columns = len(images), 1 + len(titles) + SUMMARY_COLUMNS
    figure, axes = plt.subplots(
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
        lines = [f"{'✓' if probabilities[row, i] >= 0.5 else '·'} {label_names[i][:18]:<18} {probabilities[row, i]:.2f}"
                 for i in order.tolist()]  # fmt: skip
        axes[row, -1].text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=7, family="monospace")
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    for axis in axes[:, -1]:
        axis.axis("off")
    figure.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.01, wspace=0.05, hspace=0.25)
    figure.savefig(output_path, dpi=DPI)
    plt.close(figure)
    return columns * int(CELL_INCHES * DPI), rows * int(CELL_INCHES * DPI)


def attention_map_figure(model, image_processor, images: list[Image.Image], output_path: str,
                         attributes: list[str] | None = None) -> tuple[int, int]:  # fmt: skip
    """The whole path: preprocess like evaluation, run the model, plot its own attentions."""
    pixel_values = image_processor([to_rgb(image) for image in images], return_tensors="pt")["pixel_values"]
    maps, probabilities, titles = compute_attention_maps(model, pixel_values.to(model.device), attributes)
    label_names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    return plot_attention_grid(images, maps.cpu(), probabilities.cpu(), titles, label_names, output_path,
                               tuple(pixel_values.shape[-2:]))  # fmt: skip


def plot_training(trainer_state_path: str, output_path: str) -> list[str]:
    """trainer_state.json → PNG of training loss and eval metrics over steps; returns the plotted series."""
    with open(trainer_state_path) as f:
        history = json.load(f)["log_history"]
    train = [(e["step"], e["loss"]) for e in history if "loss" in e]
    evaluations = [e for e in history if any(k.startswith("eval_") for k in e)]
    metric_names = [m for m in ("eval_accuracy", "eval_balanced_accuracy", "eval_f1", "eval_roc_auc")
                    if any(m in e for e in evaluations)]  # fmt: skip
    panels = 2 if metric_names else 1
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), dpi=DPI, squeeze=False)
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
    plt.close(figure)
    return plotted


POINTING_TOLERANCE = 8  # pixels around the attribute's box that still count as a hit


@torch.no_grad()
def score_attention(model, image_processor, faces: list, attributes: list[str] | None = None,
                    batch_size: int = 64) -> dict[str, dict[str, float]]:  # fmt: skip
    """How well the attention points at each attribute's evidence, on synthetic faces that know their boxes.

    Per attribute, over the faces: `pointing_game`, the share of maps whose maximum (after bilinear upsampling
    to the face's pixels, each token at its receptive field's centre: `upsample_to_image`) lies inside the
    attribute's box or within 8 px of it; `energy`, the share of the upsampled map's mass inside the box;
    `area_share`, the box's share of the image (what uniform attention would give). With `mean` pooling the model
    has one map, scored against every attribute's box.
    """
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    attributes = [a for a in (attributes or names) if a in faces[0].boxes]
    if not attributes:
        raise ValueError(f"None of the model's attributes {names} has a box on the synthetic faces.")
    width, height = faces[0].image.size
    hits = {a: [] for a in attributes}
    energy, area = {a: [] for a in attributes}, {a: [] for a in attributes}
    for start in range(0, len(faces), batch_size):
        chunk = faces[start : start + batch_size]
        pixel_values = image_processor([f.image for f in chunk], return_tensors="pt")["pixel_values"]
        maps, _, titles = compute_attention_maps(model, pixel_values.to(model.device), attributes)
        heat = upsample_to_image(maps.cpu(), pixel_values.shape[-2:], (width, height))  # (B, M, height, width)
        for m, attribute in enumerate(attributes):
            column = m if len(titles) == len(attributes) else 0
            for face, face_heat in zip(chunk, heat[:, column]):
                x0, y0, x1, y1 = face.boxes[attribute]
                y, x = divmod(int(face_heat.argmax()), width)
                tol = POINTING_TOLERANCE
                hits[attribute].append(x0 - tol <= x <= x1 + tol and y0 - tol <= y <= y1 + tol)
                energy[attribute].append(float(face_heat[y0:y1, x0:x1].sum() / face_heat.sum()))
                area[attribute].append((x1 - x0) * (y1 - y0) / (width * height))
    return {
        a: {"pointing_game": float(np.mean(hits[a])), "energy": float(np.mean(energy[a])),
            "area_share": float(np.mean(area[a]))}  # fmt: skip
        for a in attributes
    }


POINTING_TARGET = 0.8  # maps that point at the evidence: the maximum inside the box for 4 faces in 5


def energy_target(area_share: float) -> float:
    """The energy a map that points at the evidence puts in the box: 3× the box's area share, or for a large box
    (over a fifth of the image, where 3× would be out of reach) halfway between its share and all of it."""
    return min(3 * area_share, (1 + area_share) / 2)


def meets_targets(score: dict[str, float]) -> bool:
    return score["pointing_game"] >= POINTING_TARGET and score["energy"] >= energy_target(score["area_share"])


def attention_score_table(scores: dict[str, dict[str, float]]) -> str:
    """Markdown: per attribute the pointing game, the energy in the box next to its target, and whether both
    targets are met (pointing game ≥ 0.8, energy ≥ `energy_target`)."""
    lines = ["| attribute | pointing game | energy in box | box area share | energy / area | energy target | "
             "targets met |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, s in scores.items():
        lines.append(f"| {name} | {s['pointing_game']:.2f} | {s['energy']:.2f} | {s['area_share']:.2f} | "
                     f"{s['energy'] / s['area_share']:.1f}× | {energy_target(s['area_share']):.2f} | "
                     f"{'yes' if meets_targets(s) else 'no'} |")  # fmt: skip
    return "\n".join(lines)
