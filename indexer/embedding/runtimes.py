"""CPU runtimes that run the exported graph: ONNX Runtime and OpenVINO, each with the process's CPU threads.

Both take a batch of token ids and its mask and return unit vectors, one row per text.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.embedding.export import INPUTS
from indexer.errors import ModelNotFound


class GraphRunner(Protocol):
    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, last: bool = False) -> np.ndarray:
        """Unit vectors of a batch; `last`: the final batch of a call, after which the runtime may give
        back the working memory that the call's largest batches needed."""
        ...


def cpu_threads() -> int:
    """Threads a runtime computes with: OMP_NUM_THREADS when the operator set it, else the usable CPUs."""
    configured = os.environ.get("OMP_NUM_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else len(os.sched_getaffinity(0))


class OnnxRuntimeRunner:
    """The graph in ONNX Runtime with all graph optimisations; its `run` may be called from any thread."""

    def __init__(self, graph: Path) -> None:
        try:
            import onnxruntime
        except ImportError as error:
            raise ModelNotFound("install onnxruntime to use the onnx runtime (GOVSEARCH_RUNTIME)") from error
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = cpu_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep rather than spin: the CPUs are shared with the server, FAISS and other work.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        # The memory arena keeps what the longest batches needed (measured: 414 MB after 100 passages, 14 MB
        # once shrunk, at no cost in speed when shrunk once per call rather than after every batch).
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, last: bool = False) -> np.ndarray:
        feed = {INPUTS[0]: input_ids, INPUTS[1]: attention_mask}
        outputs = self._session.run(None, feed, self._shrink if last else None)
        return np.asarray(outputs[0], dtype=np.float32)


class OpenVinoRunner:
    """The graph compiled by OpenVINO for this CPU, in fp32; one inference at a time (one request object)."""

    def __init__(self, graph: Path) -> None:
        try:
            import openvino
        except ImportError as error:
            raise ModelNotFound("install openvino to use the openvino runtime (GOVSEARCH_RUNTIME)") from error
        config = {
            "INFERENCE_NUM_THREADS": cpu_threads(),
            "PERFORMANCE_HINT": "LATENCY",
            # fp32, so vectors match the reference on every CPU (OpenVINO would pick bf16 on AMX by itself).
            "INFERENCE_PRECISION_HINT": "f32",
        }
        self._compiled = openvino.Core().compile_model(str(graph), "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, last: bool = False) -> np.ndarray:
        with self._lock:
            result = self._request.infer({INPUTS[0]: input_ids, INPUTS[1]: attention_mask})
            return np.array(result[self._compiled.output(0)], dtype=np.float32)


def graph_runner(runtime: str, graph: Path) -> GraphRunner:
    """The runner of an exported graph for a runtime name (onnx or openvino)."""
    if runtime == "onnx":
        return OnnxRuntimeRunner(graph)
    if runtime == "openvino":
        return OpenVinoRunner(graph)
    raise ValueError(f"unknown runtime {runtime!r}; expected auto, torch, onnx or openvino")
