"""The model as one ONNX graph (BERT, mean pooling, L2 norm), built from the installed weights: no download.

It is cached in the model directory as `onnx/<model id>/model.onnx` beside `export.json`, which names the
weights it was built from (the model id carries their checksum) and the graph's own sha256. A graph whose
record names other weights, or whose bytes differ from the record, is built again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

from indexer.embedding.model_fetch import flush, fsync_tree, model_id_of, sha256_of, write_json
from indexer.errors import ModelNotFound

EXPORT_FOLDER = "onnx"
GRAPH_FILE = "model.onnx"
RECORD_FILE = "export.json"
# Bumped when the exported graph changes (inputs, pooling, opset), so older caches are rebuilt.
EXPORT_VERSION = 1
OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "embedding"
MEAN_POOLING_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def exported_graph(model_dir: Path) -> Path:
    """The cached ONNX graph of the model at `model_dir`, exported first if there is none that fits."""
    model_id = model_id_of(model_dir)
    folder = Path(model_dir) / EXPORT_FOLDER / model_id
    if graph_fits(folder, model_id):
        return folder / GRAPH_FILE
    check_exportable(Path(model_dir))
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Built beside its place and renamed into it, so a killed export never leaves half a graph there.
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{model_id}.export-") as work:
        staging = Path(work) / "graph"
        staging.mkdir()
        from indexer.embedding.tracing import trace_to_onnx  # torch loads only to build the graph

        trace_to_onnx(Path(model_dir), staging / GRAPH_FILE, INPUTS, OUTPUT, OPSET)
        record = {
            "model_id": model_id,
            "export_version": EXPORT_VERSION,
            "opset": OPSET,
            "torch": version("torch"),
            "graph_sha256": sha256_of(staging / GRAPH_FILE),
        }
        write_json(staging / RECORD_FILE, record)
        fsync_tree(staging)
        if folder.exists():  # a stale or damaged graph: replaced, not reused
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(staging, folder)
        except OSError:
            if not graph_fits(folder, model_id):  # unless another process just exported the same graph
                raise
    flush(folder.parent)
    return folder / GRAPH_FILE


def graph_fits(folder: Path, model_id: str) -> bool:
    """True when `folder` holds a complete graph exported from these weights by this version."""
    record_path, graph = folder / RECORD_FILE, folder / GRAPH_FILE
    if not (record_path.is_file() and graph.is_file()):
        return False
    record = json.loads(record_path.read_text(encoding="utf-8"))
    return bool(
        record.get("model_id") == model_id
        and record.get("export_version") == EXPORT_VERSION
        and record.get("graph_sha256") == sha256_of(graph)
    )


def check_exportable(model_dir: Path) -> None:
    """The graph reproduces Transformer → mean pooling → Normalize; another model keeps the torch runtime."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if [module["type"] for module in modules] != MEAN_POOLING_MODULES or not pooling.get(
        "pooling_mode_mean_tokens"
    ):
        raise ModelNotFound(
            f"the model at {model_dir} is not BERT with mean pooling and normalisation; "
            "set GOVSEARCH_RUNTIME=torch"
        )
