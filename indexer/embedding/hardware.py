"""What the machine can do fast, detected at run time: CPUs of the same kind differ (AVX2 vs AVX-512/AMX)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

Precision = Literal["auto", "float32", "bfloat16", "float16"]
# CPU flags that mean bf16 matrix work runs in hardware; without them torch emulates it, slower than fp32.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


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


def choose_precision(device_type: str, flags: frozenset[str], cuda_bf16: bool = False) -> str:
    """The fastest dtype that keeps the ranking: bf16 only where the hardware computes it natively.

    On CPU, bf16 autocast measured 2.1x fp32 with AVX-512 bf16 but 5.7x slower where it is emulated (AVX2).
    """
    if device_type == "cuda":
        return "bfloat16" if cuda_bf16 else "float16"
    if device_type == "cpu" and flags & NATIVE_BF16_FLAGS:
        return "bfloat16"
    return "float32"


def resolve_precision(requested: Precision, device: str) -> str:
    """The configured precision, or on `auto` the one chosen for this device and CPU."""
    if requested != "auto":
        return requested
    import torch

    device_type = torch.device(device).type
    cuda_bf16 = device_type == "cuda" and torch.cuda.is_bf16_supported()
    return choose_precision(device_type, cpu_flags(), cuda_bf16)
