# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""TrainingArguments with this project's engine options: `--bf16` on a CPU-only machine, and `--channels_last`."""

from dataclasses import dataclass, field

import torch
from transformers import TrainingArguments
from transformers.utils import is_torch_bf16_gpu_available, is_torch_xla_available

from ..engine import Engine, bf16_problem


def has_bf16_accelerator() -> bool:
    """Whether transformers would run --bf16 on an accelerator (the test its own TrainingArguments makes)."""
    return is_torch_bf16_gpu_available() or is_torch_xla_available()


@dataclass
class AttributeTrainingArguments(TrainingArguments):
    """transformers' TrainingArguments, plus: `--bf16` alone works on a CPU-only machine (transformers asks for
    `--use_cpu` with it there, its switch for CPU autocast), and `--channels_last`."""

    channels_last: bool = field(
        default=False,
        metadata={
            "help": "Train and evaluate in the channels_last memory format (the model and every batch): with --bf16 "
            "about twice as fast on CPUs with avx512_bf16 or amx_bf16 (docs/benchmarks.md). The saved weights are "
            "the same either way."
        },
    )

    map_prior_weight: float = field(
        default=0.0,
        metadata={
            "help": "Add this weight × KL(region ‖ map) to the loss for each local attribute (eyes, mouth, upper lip, "
            "nose): pulls its attention map toward its face region, found from five landmarks per training face "
            "(the release's landmark file, or MTCNN once, cached beside the data). Needs --augmentation margin_crop "
            "and a model with attribute queries. 0: off."
        },
    )

    def __post_init__(self):
        if self.map_prior_weight < 0:
            raise ValueError(f"--map_prior_weight must be 0 (off) or positive, got {self.map_prior_weight}.")
        if (self.bf16 or self.bf16_full_eval) and not self.use_cpu and not has_bf16_accelerator():
            if torch.cuda.is_available():  # a GPU without bf16: transformers' own message says which GPUs have it
                return super().__post_init__()
            if problem := bf16_problem("cpu"):
                raise ValueError(f"--bf16 on this machine's CPU: {problem}. Drop --bf16 to train in fp32.")
            self.use_cpu = True  # no accelerator: bf16 autocast on the CPU
        super().__post_init__()

    @property
    def engine(self) -> Engine:
        """The engine these arguments train with (autocast itself is the Trainer's, through accelerate)."""
        return Engine(bf16=self.bf16, channels_last=self.channels_last)
