# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Where an attribute can be read, next to where the attention reads it: a linear probe on the attention's values.

A map can only show where the evidence is if the evidence is readable there and nowhere else. The probe answers
the first half: at every position of the attention's grid, a logistic regression on the values the queries read
there (before their projection) predicts the attribute on held-out faces, scored by ROC-AUC (0.5: it cannot be
read there; 1.0: it can, on every face), which stays meaningful for rare attributes where accuracy would not. If
several positions predict it equally well, the classification loss has no reason to prefer the one over the
evidence, and which one a query's attention settles on is left to chance.
"""

import numpy as np
import torch

from ..data.labels import config_label_names
from ..metrics.attribute_metrics import roc_auc
from ..modeling_resnet_lstm_attention import ResNetLstmAttentionPoolerInputs, feature_map_to_tokens
from .maps import select_attention_maps, token_centres
from .regions import region_boxes
from .scores import POINTING_TOLERANCE


@torch.no_grad()
def attention_values_and_maps(model, image_processor, faces: list, attribute: str, batch_size: int = 64):
    """(values (N, H, W, C) the queries read at each position of the attention's grid, the attribute's attention
    map (N, H, W), the input size (height, width))."""
    base = model.base_model
    values, maps = [], []
    for start in range(0, len(faces), batch_size):
        chunk = faces[start : start + batch_size]
        pixel_values = image_processor([f.image for f in chunk], return_tensors="pt")["pixel_values"].to(model.device)
        outputs = model(pixel_values, output_attentions=True, output_hidden_states=True)
        stage_maps = outputs.hidden_states[: base.token_stage_index + 1]  # the stem's and each stage's maps
        tokens = feature_map_to_tokens(stage_maps[-1])  # (B, h*w, C)
        encoded = outputs.hidden_states[base.token_stage_index + 1]  # the sequence encoder's output (B, h*w, D)
        inputs = ResNetLstmAttentionPoolerInputs(stage_maps, tokens, encoded)
        _, chunk_values = base.pooler.keys_and_values(inputs)  # (B, N, C'): what the attention reads
        attention, _ = select_attention_maps(model, model.attention_grid(outputs), [attribute])  # (B, 1, H, W)
        height, width = attention.shape[-2:]
        values.append(chunk_values.float().reshape(len(chunk), height, width, -1).cpu())  # (B, H, W, C')
        maps.append(attention[:, 0].cpu())  # (B, H, W)
    return torch.cat(values), torch.cat(maps), tuple(pixel_values.shape[-2:])


def linear_probe_auc(
    train_features: torch.Tensor,
    train_labels: np.ndarray,
    eval_features: torch.Tensor,
    eval_labels: np.ndarray,
    l2: float = 1e-2,
) -> float:
    """ROC-AUC on the evaluation set of an L2-regularised logistic regression fitted (L-BFGS) on standardised
    features (N, C); NaN when the evaluation labels are all one class."""
    mean, std = train_features.mean(0), train_features.std(0) + 1e-5
    train_x, eval_x = (train_features - mean) / std, (eval_features - mean) / std
    train_y = torch.as_tensor(train_labels, dtype=torch.float32)
    torch.manual_seed(0)  # the probe's initial weights: a rerun gives the same ROC-AUCs
    probe = torch.nn.Linear(train_x.shape[1], 1)
    optimizer = torch.optim.LBFGS(probe.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        logits = probe(train_x)[:, 0]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, train_y) + l2 * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        scores = probe(eval_x)[:, 0].numpy()
    return roc_auc(scores, np.asarray(eval_labels))


def check_probe_attribute(model, attribute: str) -> None:
    """A clear error, before any face is loaded, for an attribute the model does not predict or a model without
    attention."""
    names = config_label_names(model.config)
    if attribute not in names:
        raise ValueError(f"Unknown attribute {attribute!r}; the model predicts {names}.")
    if not model.has_attention_maps:
        raise ValueError(f"A model with `pooling={model.config.pooling!r}` has no attention to compare the probe with.")


def probe_attention_grid(model, image_processor, train_faces: list, eval_faces: list, attribute: str) -> dict:
    """Per position of the attention's grid: how well the values there predict `attribute` on `eval_faces` (the
    ROC-AUC of a probe fitted on `train_faces`), and the attribute's mean attention there on `eval_faces`.

    Returns `probe_auc` and `attention` (H, W) arrays, `positives` (the share of `eval_faces` with the attribute),
    `row_centres` (the image y of each row, at the eval faces' size) and
    `row_in_box` (per row, the share of eval faces whose box, with the pointing game's tolerance, spans it).
    """
    check_probe_attribute(model, attribute)
    unlabelled = sum(attribute not in f.labels for f in (*train_faces, *eval_faces))
    if unlabelled:
        raise ValueError(f"{unlabelled} of the faces have no {attribute!r} label; the probe needs it on every face.")
    train_values, _, _ = attention_values_and_maps(model, image_processor, train_faces, attribute)
    eval_values, eval_maps, input_size = attention_values_and_maps(model, image_processor, eval_faces, attribute)
    train_labels = np.array([f.labels[attribute] for f in train_faces])
    eval_labels = np.array([f.labels[attribute] for f in eval_faces])
    height, width = eval_maps.shape[-2:]
    auc = np.zeros((height, width))
    for row in range(height):
        for column in range(width):
            auc[row, column] = linear_probe_auc(
                train_values[:, row, column], train_labels, eval_values[:, row, column], eval_labels
            )
    row_centres = token_centres(input_size[0], height, eval_faces[0].image.size[1]).tolist()
    return {
        "attribute": attribute,
        "probe_auc": auc,
        "attention": eval_maps.mean(0).numpy(),
        "positives": float(eval_labels.mean()),
        "row_centres": row_centres,
        "row_in_box": [rows_in_box(eval_faces, attribute, y) for y in row_centres],
    }


def rows_in_box(faces: list, attribute: str, y: float) -> float:
    """The share of faces whose `attribute` box, widened by the pointing game's tolerance, spans image row `y`."""
    tolerance = POINTING_TOLERANCE
    spans = [
        any(y0 - tolerance <= y <= y1 + tolerance for _, y0, _, y1 in region_boxes(f.boxes[attribute]))
        for f in faces
        if attribute in f.boxes
    ]
    return float(np.mean(spans)) if spans else float("nan")


def probe_table(result: dict) -> str:
    """Markdown, one line per row of the grid: its centre in the image, how often the box spans it, the attention's
    mass on it, and the best probe ROC-AUC among its positions."""
    lines = [
        f"Linear probe for {result['attribute']} ({result['positives']:.1%} of the faces have it; ROC-AUC 0.5: "
        "not readable)",
        "",
        f"| row | centre y (image px) | faces whose box (± {POINTING_TOLERANCE} px) spans it | attention on the row "
        "| best probe ROC-AUC in the row |",
        "|---|---|---|---|---|",
    ]
    rows = zip(result["row_centres"], result["row_in_box"], result["attention"].sum(1), result["probe_auc"].max(1))
    for row, (centre, in_box, attention, auc) in enumerate(rows):
        in_box = "–" if np.isnan(in_box) else f"{in_box:.2f}"  # an attribute without a region on these faces
        lines.append(f"| {row} | {centre:.0f} | {in_box} | {attention:.2f} | {auc:.3f} |")
    return "\n".join(lines)
