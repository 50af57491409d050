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
# The CPU runtime for fp32 work: measured fastest on this project's AVX2 machine (docs/benchmarks.md).
FP32_CPU_RUNTIME: Runtime = "onnx"


@dataclass(frozen=True)
class Engine:
    """What computes the vectors: a runtime and the precision it computes in."""

    runtime: str
    precision: str


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
    """torch where it computes in reduced precision fast (CUDA, native bf16); else the exported fp32 graph."""
    precision = choose_precision(device_type, flags)
    if device_type == "cpu" and precision == "float32":
        return Engine(FP32_CPU_RUNTIME, precision)
    return Engine("torch", precision)


def resolve_engine(runtime: Runtime, precision: Precision, device: str) -> Engine:
    """The configured runtime and precision; `auto` in either is filled in from the hardware found."""
    device_type = device.split(":")[0]
    chosen = choose_engine(device_type, cpu_flags())
    used = chosen.runtime if runtime == "auto" else runtime
    if runtime == "auto" and precision in ("bfloat16", "float16"):
        used = "torch"  # the only runtime here that computes in them
    if runtime == "auto" and precision == "int8":
        used = "onnx"  # the only runtime here with an int8 graph
    if used != "torch" and device_type != "cpu":
        raise ValueError(f"the {used} runtime runs on the CPU; device {device} needs GOVSEARCH_RUNTIME=torch")
    if precision == "auto":  # the exported graphs compute in fp32; torch in what the hardware does fast
        return Engine(used, chosen.precision if used == "torch" else "float32")
    return Engine(used, precision)
