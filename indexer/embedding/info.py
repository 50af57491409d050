"""What the embedding engine will be on this machine, found without loading the model (`govsearch info`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.embedding.embedder import default_device, vector_space
from indexer.embedding.export import exported_graph, graph_path
from indexer.embedding.hardware import NATIVE_BF16_FLAGS, Precision, Runtime, cpu_flags, resolve_engine
from indexer.embedding.model_fetch import model_id_of
from indexer.embedding.runtimes import cpu_threads

# The flags that decide the engine, or would on another CPU; the full list is in /proc/cpuinfo.
REPORTED_FLAGS = frozenset({"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", *NATIVE_BF16_FLAGS})


@dataclass(frozen=True)
class EngineInfo:
    cpu_flags: list[str]
    cpu_threads: int
    device: str
    runtime: str
    precision: str
    model_id: str
    vector_space: str
    exported_graph: str | None


def engine_info(model_dir: Path, device: str | None, runtime: Runtime, precision: Precision) -> EngineInfo:
    """The hardware found, the runtime and precision chosen for it, and the model they will run."""
    device = device or default_device()
    engine = resolve_engine(runtime, precision, device)
    model_id = model_id_of(model_dir)
    graph = graph_path(model_dir, model_id, engine.precision)
    return EngineInfo(
        cpu_flags=sorted(cpu_flags() & REPORTED_FLAGS),
        cpu_threads=cpu_threads(),
        device=device,
        runtime=engine.runtime,
        precision=engine.precision,
        model_id=model_id,
        vector_space=vector_space(model_id, engine),
        exported_graph=str(graph) if engine.runtime != "torch" and graph.is_file() else None,
    )


def prepare_engine(model_dir: Path, device: str | None, runtime: Runtime, precision: Precision) -> EngineInfo:
    """Export the graph the chosen runtime runs now (at `govsearch model fetch`), not at first use."""
    chosen = engine_info(model_dir, device, runtime, precision)
    if chosen.runtime == "torch":
        return chosen
    exported_graph(model_dir, chosen.precision)
    return engine_info(model_dir, device, runtime, precision)
