# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""The README.md model card that run_classification.py writes beside the weights."""

import json
import os

import numpy as np

from .metrics import METRIC_NAMES

CELEBA_LICENCE = (
    "Trained on CelebA, which is available for non-commercial research purposes only "
    "(https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html): this model inherits that restriction. Do not use it "
    "commercially, and do not use it to identify people."
)


def write_model_card(
    output_dir: str,
    label_names: list[str],
    metrics: dict,
    dataset: str,
    arguments: dict,
    base: str,
    celeba: bool = False,
) -> None:
    """README.md in the output folder: metrics table, data, arguments and how to load it; with `celeba`, the
    dataset's non-commercial research licence."""
    rows = "\n".join(
        f"| {name} | " + " | ".join(_fmt(metrics.get(f"eval_{m}_{name}")) for m in METRIC_NAMES) + " |"
        for name in label_names
    )
    means = " | ".join(_fmt(metrics.get(f"eval_{m}")) for m in METRIC_NAMES)
    licence = f"\n## Licence\n\n{CELEBA_LICENCE}\n" if celeba else ""
    card = f"""---
library_name: transformers
license: {"other" if celeba else "mit"}
pipeline_tag: image-classification
tags: [face-attributes, celeba, multi-label, resnet, lstm, attention]
---

# ResNet → BiLSTM → attention face-attribute classifier

Multi-label classifier of {len(label_names)} facial attribute(s), one sigmoid output each, trained with
the face-attributes project's `run_classification.py`.

- Dataset: `{dataset}`
- Backbone weights at the start: `{base}`
{licence}
## Validation metrics

| attribute | accuracy | balanced accuracy | F1 | ROC-AUC |
|---|---|---|---|---|
| **mean** | {means} |
{rows}

## Use

```python
from transformers import pipeline

classifier = pipeline("image-classification", model="{os.path.basename(os.path.abspath(output_dir))}", trust_remote_code=True)
classifier("face.jpg", top_k={len(label_names)})  # one probability per attribute
```

Or `AutoModelForImageClassification.from_pretrained(path, trust_remote_code=True)` with
`AutoImageProcessor.from_pretrained(path)`; `thresholds.json` holds per-attribute thresholds chosen on validation.

## Training arguments

```json
{json.dumps(arguments, indent=2, sort_keys=True, default=str)}
```
"""
    with open(os.path.join(output_dir, "README.md"), "w") as f:
        f.write(card)


def _fmt(value) -> str:
    return "–" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.4f}"
