"""What the machine can do fast, detected at run time: CPUs of the same kind differ (AVX2 vs AVX-512/AMX)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Precision = Literal["auto", "float32", "bfloat16", "float16", "int8"]
Runtime = Literal["auto", "torch", "onnx", "openvino"]
# CPU flags that mean bf16 matrix work runs in hardware; without them torch emulates it, slower than fp32.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# What each runtime computes in; the exported graphs run in fp32, or int8 in ONNX Runtime.
RUNTIME_PRECISIONS: dict[str, tuple[str, ...]] = {
    "torch": ("float32", "bfloat16", "float16"),
    "onnx": ("float32", "int8"),
    "openvino": ("float32",),
}


@dataclass(frozen=True)
class Engine:
    """What computes the vectors: a runtime and the precision it computes in."""

    runtime: str
    precision: str


# On CPUs without native bf16: the int8 graph in ONNX Runtime, 1.6x its fp32 graph on the AVX2 machine, with
# dev nDCG@10 within 0.003 of fp32 in every mode (docs/benchmarks.md). fp32 remains a setting away.
CPU_ENGINE = Engine("onnx", "int8")


@cache
def cpu_flags() -> frozenset[str]:
    """The feature flags of the first CPU in /proc/cpuinfo (empty where there is no such file)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return frozenset()
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def cpu_capability() -> str:
    """The widest vector instruction set torch dispatches to here (e.g. AVX2, AVX512)."""
    import torch  # here, not at the top: settings and the CLI read this module without needing torch

    return str(torch.backends.cpu.get_cpu_capability())


def choose_precision(device_type: str, flags: frozenset[str]) -> str:
    """The fastest dtype that keeps the ranking: bf16 only where the hardware computes it natively.

    On CPU, bf16 autocast measured 2.1x fp32 with AVX-512 bf16 but 5.7x slower where it is emulated (AVX2).
    On CUDA fp16: on an H200 it ran 1.12x bf16 at 1,024 texts a call and kept cosine 1.000000 to the fp32
    reference where bf16 kept 0.999995 (docs/benchmarks.md, GPU).
    """
    if device_type == "cuda":
        return "float16"
    if device_type == "cpu" and flags & NATIVE_BF16_FLAGS:
        return "bfloat16"
    return "float32"


def choose_engine(device_type: str, flags: frozenset[str]) -> Engine:
    """torch where it computes in reduced precision fast (CUDA, native bf16); else the int8 graph."""
    precision = choose_precision(device_type, flags)
    if device_type == "cpu" and precision == "float32":
        return CPU_ENGINE
    return Engine("torch", precision)


def resolve_engine(runtime: Runtime, precision: Precision, device: str) -> Engine:
    """The configured runtime and precision; `auto` in either is filled in from the hardware found.

    A precision alone picks the chosen runtime if it computes in it, else the one that does; a runtime
    alone computes in the chosen precision if it can, else in fp32.
    """
    device_type = device.split(":")[0]
    chosen = choose_engine(device_type, cpu_flags())
    if runtime == "auto":
        if precision == "auto" or precision in RUNTIME_PRECISIONS[chosen.runtime]:
            used = chosen.runtime
        else:
            used = next(name for name, known in RUNTIME_PRECISIONS.items() if precision in known)
    else:
        used = runtime
    if used not in RUNTIME_PRECISIONS:
        raise ValueError(f"unknown runtime {used!r}; expected auto, torch, onnx or openvino")
    if precision == "auto":
        precision_used = chosen.precision if chosen.precision in RUNTIME_PRECISIONS[used] else "float32"
    elif precision in RUNTIME_PRECISIONS[used]:
        precision_used = precision
    else:
        choices = " or ".join(RUNTIME_PRECISIONS[used])
        raise ValueError(
            f"the {used} runtime computes in {choices}, not {precision}; "
            "change GOVSEARCH_RUNTIME or GOVSEARCH_PRECISION"
        )
    if used != "torch" and device_type != "cpu":
        raise ValueError(f"the {used} runtime runs on the CPU; device {device} needs GOVSEARCH_RUNTIME=torch")
    return Engine(used, precision_used)
