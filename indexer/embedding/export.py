"""The model as one ONNX graph (BERT, mean pooling, L2 norm), built from the installed weights: no download.

The fp32 graph is cached in the model directory as `onnx/<model id>/model.onnx` beside `export.json`, which
names the weights it was built from (the model id carries their checksum) and the graph's own sha256; the
int8 graph, quantised from it, in `onnx/<model id>-int8/` with a record that also names its recipe. A graph
whose record names other weights, another recipe, or whose bytes differ from the record, is built again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from indexer.embedding.model_fetch import flush, fsync_tree, model_id_of, sha256_of, write_json
from indexer.errors import ModelNotFound

EXPORT_FOLDER = "onnx"
GRAPH_FILE = "model.onnx"
RECORD_FILE = "export.json"
# Bumped when the exported graph changes (inputs, pooling, opset), so older caches are rebuilt.
EXPORT_VERSION = 1
# Names the int8 graph's quantisation; changed with it, since its vectors change too (a new vector space).
INT8_RECIPE = "int8-dynamic-1"
RECIPES = {"float32": None, "int8": INT8_RECIPE}
OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "embedding"
MEAN_POOLING_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]
Build = Callable[[Path], None]


def graph_path(model_dir: Path, model_id: str, precision: str) -> Path:
    """Where the graph of these weights in `precision` (float32 or int8) is cached."""
    suffix = "" if precision == "float32" else f"-{precision}"
    return Path(model_dir) / EXPORT_FOLDER / f"{model_id}{suffix}" / GRAPH_FILE


def exported_graph(model_dir: Path, precision: str = "float32") -> Path:
    """The cached graph of the model at `model_dir` in `precision`, built first if there is none that fits."""
    if precision not in RECIPES:
        raise ValueError(f"exported graphs compute in float32 or int8, not {precision}")
    model_id = model_id_of(model_dir)
    folder = graph_path(model_dir, model_id, precision).parent
    if graph_fits(folder, model_id, precision):
        return folder / GRAPH_FILE
    build: Build
    if precision == "int8":
        from indexer.embedding.quantize import quantize_graph  # ONNX tools load only to build the graph

        source = exported_graph(model_dir)

        def build(target: Path) -> None:
            quantize_graph(source, target, Path(model_dir) / "config.json")
    else:
        check_exportable(Path(model_dir))
        from indexer.embedding.tracing import trace_to_onnx  # torch loads only to build the graph

        def build(target: Path) -> None:
            trace_to_onnx(Path(model_dir), target, INPUTS, OUTPUT, OPSET)

    cache_graph(folder, model_id, precision, build)
    return folder / GRAPH_FILE


def cache_graph(folder: Path, model_id: str, precision: str, build: Build) -> None:
    """Build the graph beside its place and rename it into it, so a killed build never leaves half a graph."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.export-") as work:
        staging = Path(work) / "graph"
        staging.mkdir()
        build(staging / GRAPH_FILE)
        record = {
            "model_id": model_id,
            "export_version": EXPORT_VERSION,
            "recipe": RECIPES[precision],
            "opset": OPSET,
            "torch": version("torch"),
            "onnxruntime": version("onnxruntime") if precision == "int8" else None,
            "graph_sha256": sha256_of(staging / GRAPH_FILE),
        }
        write_json(staging / RECORD_FILE, record)
        fsync_tree(staging)
        if folder.exists():  # a stale or damaged graph: replaced, not reused
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(staging, folder)
        except OSError:
            if not graph_fits(folder, model_id, precision):  # unless another process just built it
                raise
    flush(folder.parent)


def graph_fits(folder: Path, model_id: str, precision: str = "float32") -> bool:
    """True when `folder` holds a complete graph built from these weights by this version and recipe."""
    record_path, graph = folder / RECORD_FILE, folder / GRAPH_FILE
    if not (record_path.is_file() and graph.is_file()):
        return False
    record = json.loads(record_path.read_text(encoding="utf-8"))
    return bool(
        record.get("model_id") == model_id
        and record.get("export_version") == EXPORT_VERSION
        and record.get("recipe") == RECIPES[precision]
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
