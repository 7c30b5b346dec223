# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Augmentation seeded per (seed, epoch, sample), so that a resumed run sees the same crops and flips."""

import math

import torch
from transformers import TrainerCallback


class SeededAugmentation(torch.utils.data.Dataset):
    """The training set with each sample's random augmentation seeded by (seed, epoch, sample index).

    Drawn from the global random stream instead, an augmentation depends on when the sample happens to be loaded:
    accelerate's loader fetches one batch ahead, worker processes each have their own stream, and a resumed run
    skips the batches already trained. None of these can be reproduced from the RNG state a checkpoint saves, so a
    resumed run would see other crops and flips than the interrupted one. With this wrapper loading draws nothing
    from the global stream (it is forked and restored around every sample), so the checkpoint's RNG state is
    exactly what dropout and the device-side augmentation need, and the data are the same for any number of
    workers. `EpochToDataset` sets the epoch (accelerate's own `set_epoch` does not reach the dataset after a
    resume); it sits in shared memory so that persistent workers see it too.
    """

    def __init__(self, dataset, seed: int):
        self.dataset, self.seed = dataset, seed
        self.epoch = torch.zeros(1, dtype=torch.int64).share_memory_()

    def set_epoch(self, epoch: int) -> None:
        self.epoch[0] = int(epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        sample_seed = ((self.seed * 1_000_003 + int(self.epoch[0])) * 1_000_000_007 + int(index)) % 2**63
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(sample_seed)
            return self.dataset[int(index)]


class EpochToDataset(TrainerCallback):
    """Tells a `SeededAugmentation` which epoch the Trainer is in, fresh or resumed."""

    def __init__(self, dataset: SeededAugmentation):
        self.dataset = dataset

    def on_epoch_begin(self, args, state, control, **kwargs):
        # state.epoch is e at the start of epoch e, or e + fraction done when resumed inside epoch e.
        self.dataset.set_epoch(math.floor(state.epoch + 1e-6))
