# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Labels and splits: which attribute columns, 0/1 labels from any encoding, stratified subsets, and the label
list of a saved model's config."""

import numpy as np
from datasets import Dataset, DatasetDict, Value

from .sources import CELEBA_ATTRIBUTES


def config_label_names(config) -> list[str]:
    return [config.id2label[i] for i in range(config.num_labels)]


def resolve_label_columns(dataset: DatasetDict, label_columns: list[str] | str | None) -> list[str]:
    """`None` → ["Male"]; "all" → every CelebA attribute present; unknown names → an error listing the rest."""
    columns = list(next(iter(dataset.values())).column_names)
    if label_columns in (None, [], ""):
        label_columns = ["Male"]
    if isinstance(label_columns, str):
        label_columns = [label_columns]
    if label_columns == ["all"]:
        label_columns = [name for name in CELEBA_ATTRIBUTES if name in columns]
        if not label_columns:
            raise ValueError(f"label_columns='all' needs CelebA attribute columns; the dataset has {columns}.")
    available = [c for c in columns if c not in ("image", "index", "file_name", "celeb_id")]
    unknown = [c for c in label_columns if c not in columns]
    if unknown:
        raise ValueError(f"Unknown label column(s) {unknown}. Available: {available} (or 'all').")
    return label_columns


_TRUE = {True, 1, "1", "True", "true"}
_FALSE = {False, 0, -1, "0", "-1", "False", "false"}


def normalize_labels(dataset: DatasetDict, label_columns: list[str]) -> DatasetDict:
    """Bool, 0/1, -1/1 and "True"/"False" label columns → int8 0/1; any other value is an error."""
    return DatasetDict({split: _normalize_split(ds, label_columns) for split, ds in dataset.items()})


def _normalize_split(ds: Dataset, label_columns: list[str]) -> Dataset:
    mappings = {}
    for column in label_columns:
        values = set(ds.unique(column))
        for value in values:
            if value not in _TRUE and value not in _FALSE:
                raise ValueError(
                    f"Label column {column!r} has the value {value!r}; labels must be bool, 0/1, -1/1 or "
                    "'True'/'False'."
                )
        if not (getattr(ds.features[column], "dtype", None) == "int8" and values <= {0, 1}):
            mappings[column] = {value: int(value in _TRUE) for value in values}
    if not mappings:
        return ds

    def convert(batch):
        return {column: [mapping[v] for v in batch[column]] for column, mapping in mappings.items()}

    features = ds.features.copy()
    for column in mappings:
        features[column] = Value("int8")
    return ds.map(convert, batched=True, batch_size=10_000, features=features, desc="Normalising labels")


def stratified_indices(labels: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split range(len(labels)) into (`size` indices, the rest), keeping each class's share in both."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    # Largest-remainder rounding so the quotas add up to exactly `size`.
    exact = counts * size / len(labels)
    quota = np.floor(exact).astype(int)
    quota[np.argsort(exact - quota)[::-1][: size - quota.sum()]] += 1
    taken = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    taken = np.sort(np.concatenate(taken))
    return taken, np.setdiff1d(np.arange(len(labels)), taken)


def make_splits(
    dataset: DatasetDict,
    stratify_column: str,
    validation_split_percentage: float = 20.0,
    subset_percentage: float | None = None,
    max_train_samples: int | None = None,
    max_eval_samples: int | None = None,
    max_predict_samples: int | None = None,
    seed: int = 42,
) -> DatasetDict:
    """Official splits where present; a stratified validation carve-out where not; stratified subsets.

    `subset_percentage=1` is the original Colab workflow: a stratified 1 % of train, then split 80/20
    (`validation_split_percentage`) into train and validation, ignoring the official validation split.
    """
    splits = dict(dataset)

    def stratified(ds: Dataset, size: int, offset: int) -> tuple[Dataset, Dataset]:
        taken, rest = stratified_indices(np.asarray(ds[stratify_column]), size, seed + offset)
        return ds.select(taken), ds.select(rest)

    if subset_percentage is not None:
        if not 0 < subset_percentage <= 100:
            raise ValueError(f"subset_percentage must be in (0, 100], got {subset_percentage}.")
        splits["train"], _ = stratified(
            splits["train"], max(2, round(len(splits["train"]) * subset_percentage / 100)), 0
        )
        splits.pop("validation", None)
    if "validation" not in splits and validation_split_percentage:
        size = max(1, round(len(splits["train"]) * validation_split_percentage / 100))
        splits["validation"], splits["train"] = stratified(splits["train"], size, 1)
    for split, limit, offset in (
        ("train", max_train_samples, 2),
        ("validation", max_eval_samples, 3),
        ("test", max_predict_samples, 4),
    ):
        if limit is not None and split in splits and limit < len(splits[split]):
            splits[split], _ = stratified(splits[split], limit, offset)
    return DatasetDict(splits)
