# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""One engine choice: precision (fp32, or bf16 autocast) and memory format (contiguous, or channels_last), decided
here and used alike by training (run_classification.py), the pipeline, scripts/predict.py and the web demo.

Neither changes what a saved folder means: weights are stored in fp32 and in the usual layout either way.
"""

import contextlib
import os
import platform
from dataclasses import dataclass

import torch


def cpu_bf16_instructions() -> str | None:
    """The CPU's native bf16 matrix instructions, `"amx_bf16"` or `"avx512_bf16"`, or None: without them bf16 is
    emulated, and slower than fp32."""
    if torch.cpu._is_amx_tile_supported():
        return "amx_bf16"
    if torch.cpu._is_avx512_bf16_supported():
        return "avx512_bf16"
    return None


def bf16_problem(device: torch.device | str) -> str | None:
    """Why bf16 would not pay on `device` (a sentence), or None where it runs natively."""
    device = torch.device(device)
    if device.type == "cuda":
        return None if torch.cuda.is_bf16_supported() else f"{torch.cuda.get_device_name(device)} has no bf16"
    if device.type == "cpu" and cpu_bf16_instructions() is None:
        return "this CPU has neither avx512_bf16 nor amx_bf16, so bf16 would be emulated and slower than fp32"
    return None


@dataclass(frozen=True)
class Engine:
    """How the model runs: `bf16` autocast (weights stay fp32) and the `channels_last` memory format."""

    bf16: bool = False
    channels_last: bool = False

    @classmethod
    def fastest(cls, device: torch.device | str) -> "Engine":
        """bf16 + channels_last where `device` runs bf16 natively, else fp32 (the engine `auto` options choose)."""
        native = bf16_problem(device) is None
        return cls(bf16=native, channels_last=native)

    @classmethod
    def from_options(cls, bf16: str | bool, channels_last: str | bool, device: torch.device | str) -> "Engine":
        """The engine of command-line options that are each `"auto"` (what `fastest` chooses), `"true"`, `"false"`
        or a bool; checked against `device`."""
        fastest = cls.fastest(device)

        def choose(option: str | bool, auto: bool) -> bool:
            return auto if option == "auto" else option in (True, "true")

        engine = cls(bf16=choose(bf16, fastest.bf16), channels_last=choose(channels_last, fastest.channels_last))
        engine.check(device)
        return engine

    @property
    def name(self) -> str:
        """`fp32`, `bf16`, `fp32 + channels_last` or `bf16 + channels_last`: how tables and logs name it."""
        return ("bf16" if self.bf16 else "fp32") + (" + channels_last" if self.channels_last else "")

    def check(self, device: torch.device | str) -> None:
        """A clear error where bf16 was asked for on a device that does not run it natively."""
        if self.bf16 and (problem := bf16_problem(device)):
            raise ValueError(f"bf16 was asked for, but {problem}: run in fp32 (drop --bf16).")

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model in this engine's memory format (in place; returned for chaining). Its weights stay fp32."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def prepare_pixels(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """A batch (B, 3, H, W) in this engine's memory format: the convolutions then need no layout conversion."""
        if self.channels_last:
            return pixel_values.contiguous(memory_format=torch.channels_last)
        return pixel_values

    def autocast(self, device_type: str) -> contextlib.AbstractContextManager:
        """bf16 autocast on `device_type` for this engine, or nothing."""
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(device_type, dtype=torch.bfloat16)


def add_engine_arguments(parser, default: str = "false") -> None:
    """`--bf16` and `--channels_last` (each auto, true or false) for the scripts that run a saved model."""
    for flag, what in (("--bf16", "bf16 autocast"), ("--channels_last", "the channels_last memory format")):
        parser.add_argument(
            flag,
            nargs="?",
            const="true",
            default=default,
            choices=["auto", "true", "false"],
            help=f"Run the model in {what}: true, false, or auto (where the CPU or GPU runs bf16 natively); "
            f"default {default}. A .onnx model runs in ONNX Runtime, without either.",
        )


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), or the machine's architecture where that is not readable."""
    with contextlib.suppress(OSError, StopIteration):
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    return platform.machine() or "unknown CPU"


def describe_device(device: torch.device | str) -> str:
    """The device in words, for every speed figure: the GPU's name, or the CPU's model, its native bf16 instructions
    and its cores, e.g. `AMD EPYC, avx512_bf16, 2 cores`."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_name()}, {cpu_bf16_instructions() or 'no native bf16'}, {os.cpu_count()} cores"


def main() -> None:
    """`python -m face_attributes.engine`: the training flags of the fastest engine on this machine's CPU or GPU
    (`--bf16 --channels_last`, or nothing), with the reason on stderr when it is fp32. The CPU recipe reads it."""
    import sys

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if problem := bf16_problem(device):
        print(f"fp32: {problem} ({describe_device(device)})", file=sys.stderr)
        return
    print("--bf16 --channels_last")


if __name__ == "__main__":
    main()
