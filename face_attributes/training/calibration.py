# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Does a probability of 0.9 mean 90 %? Expected calibration error and reliability bins, per attribute.

Convention: each attribute is its own binary problem, calibrated on the positive class — the sigmoid probability
p is compared with the 0/1 label (not the top-label confidence max(p, 1 − p)). 15 equal-width bins over [0, 1];
ECE = Σ_b (n_b / N) · |mean p in b − share of positives in b|, computed by torchmetrics'
`binary_calibration_error` (norm "l1").
"""

import json
import os

import numpy as np
import torch
from torchmetrics.functional.classification import binary_calibration_error

ECE_BINS = 15
TEMPERATURE_RANGE = (0.05, 20.0)  # a fit outside this is clipped: the labels say almost nothing about T there


def expected_calibration_errors(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> np.ndarray:
    """ECE of each attribute (L,) from probabilities and 0/1 labels (N, L)."""
    predictions = torch.as_tensor(probabilities, dtype=torch.float64).T.contiguous()  # (L, N): one row an attribute
    targets = torch.as_tensor(labels).long().T.contiguous()
    return np.array(
        [binary_calibration_error(p, t, n_bins=bins, norm="l1").item() for p, t in zip(predictions, targets)]
    )


def reliability_bins(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per bin of one attribute's probabilities: its edges, count, mean probability and share of positives (the
    points of a reliability diagram; empty bins have None)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin b holds [edges[b], edges[b + 1]), the last also 1.0: as torchmetrics bins them.
    index = np.clip(np.searchsorted(edges, probabilities, side="right") - 1, 0, bins - 1)  # (N,)
    rows = []
    for b in range(bins):
        chosen = index == b
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": int(chosen.sum()),
                "mean_probability": float(probabilities[chosen].mean()) if chosen.any() else None,
                "positive_rate": float(labels[chosen].mean()) if chosen.any() else None,
            }
        )
    return rows


def calibration_metrics(errors: np.ndarray, label_names: list[str], prefix: str) -> dict:
    """`<prefix>_ece` (the mean over attributes) and `<prefix>_ece_<attribute>` from the ECEs (L,), for
    all_results.json."""
    return {
        f"{prefix}_ece": float(errors.mean()),
        **{f"{prefix}_ece_{n}": float(e) for n, e in zip(label_names, errors)},
    }


def write_reliability(
    output_dir: str, prefix: str, probabilities: np.ndarray, labels: np.ndarray, names: list[str], errors: np.ndarray
) -> None:
    """`<prefix>_reliability.json`: each attribute's ECE (`errors`, (L,)) and reliability bins
    (`scripts/plot_reliability.py` draws them)."""
    table = {
        name: {"ece": float(errors[i]), "bins": reliability_bins(probabilities[:, i], labels[:, i])}
        for i, name in enumerate(names)
    }
    with open(os.path.join(output_dir, f"{prefix}_reliability.json"), "w") as f:
        json.dump(table, f, indent=2)


def fit_temperatures(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per attribute, the temperature T (L,) that minimises the binary cross-entropy of sigmoid(logit / T) against the
    0/1 labels (N, L): Guo et al. 2017's temperature scaling, one parameter per attribute, fitted by L-BFGS on log T
    (so T stays positive) in float64."""
    z = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.float64)
    log_t = torch.zeros(z.shape[1], dtype=torch.float64, requires_grad=True)  # (L,): T = 1 to start
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        # The mean over images of each attribute's loss, summed: the attributes' fits do not interact.
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z / log_t.exp(), y, reduction="none").mean(0).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return np.clip(log_t.detach().exp().numpy(), *TEMPERATURE_RANGE)
