# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Group-balanced sampling (`--group_sampling balanced`): every group equally likely in every batch.

The groups are the group columns' values crossed with one target attribute's label (Sagawa et al. 2020's groups:
for Blond_Hair × Male, blond/not × male/female). Each epoch draws as many training images as the split holds, with
replacement, image i with probability ∝ 1 / (size of its group): the rare group (blond men, about 1 % of CelebA) is
seen about as often as the common ones, each of its images many times per epoch. This is the "upsampling" baseline
of the group-robustness literature; unlike Group DRO it needs no change to the loss, only a sampler.
"""

import logging

import numpy as np
import torch

from .group_metrics import group_name

logger = logging.getLogger(__name__)


def group_ids(values: np.ndarray) -> np.ndarray:
    """Each row's group as one integer (N,): its 0/1 values (N, K) read as binary digits, the last column the lowest."""
    digits = values.astype(np.int64)  # (N, K)
    return digits @ (2 ** np.arange(digits.shape[1] - 1, -1, -1))


def describe_groups(ids: np.ndarray, columns: list[str]) -> dict[str, int]:
    """{"Male=1 Blond_Hair=0": count, ...} for the groups of `group_ids` over `columns` that occur, for the log."""
    described = {}
    for group, size in zip(*np.unique(ids, return_counts=True)):
        bits = tuple((int(group) >> (len(columns) - 1 - i)) & 1 for i in range(len(columns)))
        described[group_name(bits, columns)] = int(size)
    return described


class GroupBalancedSampler(torch.utils.data.Sampler):
    """len(ids) indices per epoch, drawn with replacement with equal total probability for every group present.

    The draw is seeded by (seed, epoch), not by the global random stream: a resumed run sees the same images in the
    same order, and every process of a multi-GPU run draws the same sequence (accelerate then gives each its share).
    """

    def __init__(self, ids: np.ndarray, seed: int):
        sizes = np.bincount(ids)
        self.weights = torch.as_tensor(1.0 / sizes[ids], dtype=torch.float64)  # (N,): 1 / the size of i's group
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.weights)

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        yield from torch.multinomial(self.weights, len(self.weights), replacement=True, generator=generator).tolist()


def group_balanced_sampler(
    group_values: np.ndarray, target: np.ndarray, group_columns: list[str], target_name: str, seed: int
) -> GroupBalancedSampler:
    """The sampler for a training split's group values (N, G) and target labels (N,); logs the group sizes."""
    ids = group_ids(np.column_stack([group_values, target]))  # (N,): the groups crossed with the target
    sizes = describe_groups(ids, [*group_columns, target_name])
    logger.info("Group-balanced sampling over %d groups (train sizes %s)", len(sizes), sizes)
    if len(sizes) < 2 ** (len(group_columns) + 1):
        logger.warning("Some groups of %s × %s have no training image: %s", group_columns, target_name, sizes)
    return GroupBalancedSampler(ids, seed)
