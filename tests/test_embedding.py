"""The embedder on the real m3e-small: fixed weights and pooling, unit vectors, sane ranking, stable order."""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from sentence_transformers import SentenceTransformer

from indexer.embedding import embedder as embedder_module
from indexer.embedding.embedder import Embedder, default_device
from indexer.embedding.export import (
    EXPORT_FOLDER,
    INT8_RECIPE,
    RECORD_FILE,
    exported_graph,
    graph_fits,
    graph_path,
)
from indexer.embedding.hardware import (
    CPU_ENGINE,
    NATIVE_BF16_FLAGS,
    Engine,
    Precision,
    Runtime,
    choose_engine,
    choose_precision,
    cpu_flags,
    resolve_engine,
)
from indexer.embedding.model_fetch import model_id_of, read_manifest
from indexer.errors import ModelNotFound

NATIVE_HERE = bool(cpu_flags() & NATIVE_BF16_FLAGS)
# Measured once with fp32 on CPU; a change means other weights, pooling or normalisation.
CANONICAL_SENTENCE = "坚持稳中求进工作总基调"
CANONICAL_FIRST_DIMS = [0.00646873, -0.0858436, 0.00715262, 0.03028236, -0.03741993]

PASSAGES = [
    "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，加快构建新发展格局。",
    "加大招商引资力度，全年引进亿元以上产业项目42个，实际利用外资增长12%。",
    "严守耕地保护红线，全年粮食播种面积稳定在1.2亿亩，粮食产量保持在1.3万亿斤以上。",
    "深化“放管服”改革，持续优化营商环境，新增市场主体3.5万户。",
    "稳",
    "实施乡村振兴战略，推进农村人居环境整治，建设美丽宜居乡村，农民人均可支配收入增长7.5%，"
    "巩固拓展脱贫攻坚成果同乡村振兴有效衔接，守住不发生规模性返贫底线。",
    "",
    "新质生产力",
]


@pytest.fixture(scope="module")
def exact_embedder(model_dir: Path) -> Embedder:
    """fp32 and a small batch, so several length-sorted batches are compared exactly."""
    return Embedder(model_dir, batch_size=3, precision="float32")


def test_canonical_embedding_slice(exact_embedder: Embedder) -> None:
    vector = exact_embedder.embed_passages([CANONICAL_SENTENCE])[0]
    np.testing.assert_allclose(vector[:5], CANONICAL_FIRST_DIMS, atol=1e-3)


def test_vectors_are_float32_unit_rows(embedder: Embedder) -> None:
    vectors = embedder.embed_passages(PASSAGES)
    queries = embedder.embed_query(["招商引资", "粮食安全"])
    assert vectors.dtype == np.float32 and vectors.shape == (len(PASSAGES), 512)
    assert queries.dtype == np.float32 and queries.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    ("query", "relevant", "other"),
    [
        ("招商引资", "加大招商引资力度，全年引进亿元以上产业项目42个", "守住粮食安全底线，稳定粮食播种面积"),
        ("粮食安全", "严守耕地保护红线，粮食产量保持在1.3万亿斤以上", "加大招商引资力度，引进一批重大项目"),
        ("营商环境", "深化“放管服”改革，持续优化营商环境", "建设美丽宜居乡村，改善农村人居环境"),
    ],
)
def test_query_is_closer_to_the_relevant_passage(
    embedder: Embedder, query: str, relevant: str, other: str
) -> None:
    query_vector = embedder.embed_query([query])[0]
    relevant_vector, other_vector = embedder.embed_passages([relevant, other])
    assert query_vector @ relevant_vector > query_vector @ other_vector


def test_length_sorted_batches_come_back_in_input_order(exact_embedder: Embedder) -> None:
    batched = exact_embedder.embed_passages(PASSAGES)
    one_by_one = np.vstack([exact_embedder.embed_passages([text]) for text in PASSAGES])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_progress_counts_every_passage_once_per_batch(exact_embedder: Embedder) -> None:
    counts: list[int] = []
    exact_embedder.embed_passages(PASSAGES, progress=counts.append)
    assert counts == [3, 3, 2]


def test_bf16_matches_fp32(model_dir: Path, exact_embedder: Embedder) -> None:
    bf16 = Embedder(model_dir, precision="bfloat16")
    assert bf16.precision == "bfloat16" and exact_embedder.precision == "float32"
    fast = bf16.embed_passages(PASSAGES)
    exact = exact_embedder.embed_passages(PASSAGES)
    assert np.min(np.sum(fast * exact, axis=1)) > 0.999


def test_default_engine_follows_this_cpu(embedder: Embedder) -> None:
    expected = Engine("torch", "bfloat16") if NATIVE_HERE else CPU_ENGINE
    assert embedder.engine == expected


@pytest.mark.parametrize(
    ("device_type", "flags", "expected"),
    [
        ("cpu", {"avx", "avx2", "fma"}, "float32"),  # AMD EPYC here: bf16 would be emulated
        ("cpu", {"avx2", "avx512f", "avx512_bf16"}, "bfloat16"),
        ("cpu", {"avx2", "avx512f", "amx_bf16", "amx_tile"}, "bfloat16"),
        ("cpu", {"avx2", "avx512f"}, "float32"),  # AVX-512 without its bf16 extension
        ("cpu", set(), "float32"),
        ("cuda", set(), "float16"),
        ("cuda", {"avx512_bf16"}, "float16"),  # the GPU computes, whatever the CPU
        ("mps", {"avx512_bf16"}, "float32"),
    ],
)
def test_precision_choice_follows_the_hardware(device_type: str, flags: set[str], expected: str) -> None:
    assert choose_precision(device_type, frozenset(flags)) == expected


@pytest.mark.parametrize(
    ("device_type", "flags", "expected"),
    [
        ("cpu", {"avx", "avx2", "fma"}, CPU_ENGINE),  # this AMD EPYC
        ("cpu", {"avx2", "avx512f", "avx512_vnni"}, CPU_ENGINE),
        ("cpu", {"avx2", "avx512f", "avx512_bf16"}, Engine("torch", "bfloat16")),
        ("cpu", {"avx2", "avx512f", "amx_bf16", "amx_tile"}, Engine("torch", "bfloat16")),
        ("cpu", set(), CPU_ENGINE),
        ("cuda", {"avx2"}, Engine("torch", "float16")),
        ("cuda", {"amx_bf16"}, Engine("torch", "float16")),
    ],
)
def test_engine_choice_follows_the_hardware(device_type: str, flags: set[str], expected: Engine) -> None:
    assert choose_engine(device_type, frozenset(flags)) == expected


@pytest.mark.parametrize(
    ("runtime", "precision", "expected"),
    [
        ("torch", "auto", Engine("torch", "float32" if not NATIVE_HERE else "bfloat16")),
        ("openvino", "auto", Engine("openvino", "float32")),
        ("onnx", "auto", Engine("onnx", "float32" if NATIVE_HERE else "int8")),
        ("onnx", "float32", Engine("onnx", "float32")),
        ("auto", "float32", Engine("torch" if NATIVE_HERE else "onnx", "float32")),
        ("auto", "bfloat16", Engine("torch", "bfloat16")),  # only torch computes in bf16
        ("auto", "int8", Engine("onnx", "int8")),  # only ONNX Runtime has the int8 graph
        ("onnx", "int8", Engine("onnx", "int8")),
        ("torch", "float32", Engine("torch", "float32")),
    ],
)
def test_configured_engine_overrides_the_choice(
    runtime: Runtime, precision: Precision, expected: Engine
) -> None:
    assert resolve_engine(runtime, precision, "cpu") == expected


def test_each_runtime_refuses_a_precision_it_lacks(model_dir: Path) -> None:
    with pytest.raises(ValueError, match="onnx runtime computes in float32 or int8, not bfloat16"):
        Embedder(model_dir, "cpu", runtime="onnx", precision="bfloat16")
    with pytest.raises(ValueError, match="openvino runtime computes in float32, not int8"):
        Embedder(model_dir, "cpu", runtime="openvino", precision="int8")
    with pytest.raises(
        ValueError, match="torch runtime computes in float32 or bfloat16 or float16, not int8"
    ):
        Embedder(model_dir, "cpu", runtime="torch", precision="int8")
    with pytest.raises(ValueError, match="GOVSEARCH_RUNTIME=torch"):
        resolve_engine("onnx", "auto", "cuda")


@pytest.fixture(scope="module")
def reference_vectors(model_dir: Path) -> np.ndarray:
    """sentence-transformers itself, fp32: what every runtime must reproduce."""
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    return np.asarray(model.encode(PASSAGES, normalize_embeddings=True, convert_to_numpy=True))


@pytest.mark.parametrize(
    ("runtime", "precision", "least_cosine"),
    [
        ("torch", "float32", 0.9999),
        ("onnx", "float32", 0.9999),
        ("openvino", "float32", 0.9999),
        ("torch", "bfloat16", 0.999),
        # Quantised: mean 0.9976 on 300 report paragraphs (docs/benchmarks.md); the empty text 0.988.
        ("onnx", "int8", 0.98),
    ],
)
def test_every_runtime_gives_the_reference_vectors(
    model_dir: Path,
    reference_vectors: np.ndarray,
    runtime: Runtime,
    precision: Precision,
    least_cosine: float,
) -> None:
    embedder = Embedder(model_dir, "cpu", batch_size=3, runtime=runtime, precision=precision)
    # fp32 and bf16 are interchangeable, one index may hold them all; int8 vectors are not.
    assert (embedder.vector_space == embedder.model_id) == (precision != "int8")
    passages = embedder.embed_passages(PASSAGES)
    queries = embedder.embed_query(PASSAGES)
    for vectors in (passages, queries):
        cosines = np.sum(vectors * reference_vectors, axis=1)
        assert np.min(cosines) >= least_cosine and np.mean(cosines) >= 0.995


def test_exported_graph_is_tied_to_the_weights(model_dir: Path, tmp_path: Path) -> None:
    graph = exported_graph(model_dir)
    record = json.loads((graph.parent / RECORD_FILE).read_text(encoding="utf-8"))
    assert graph.parent.name == record["model_id"] == model_id_of(model_dir)
    assert exported_graph(model_dir) == graph and graph_fits(graph.parent, record["model_id"])
    copy = tmp_path / "graph"
    shutil.copytree(graph.parent, copy)
    assert not graph_fits(copy, "m3e-small@000000000000")  # other weights
    with (copy / graph.name).open("r+b") as damaged:
        damaged.seek(-8, os.SEEK_END)
        damaged.write(b"\0" * 8)
    assert not graph_fits(copy, record["model_id"])  # other bytes


def test_int8_without_its_graph_names_the_fix_and_fp32_falls_back_to_torch(
    model_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "m3e-small"
    copy.mkdir()
    for item in model_dir.iterdir():
        if item.name != EXPORT_FOLDER:
            (copy / item.name).symlink_to(item)
    (copy / EXPORT_FOLDER).write_text("", encoding="utf-8")  # a file where graphs go: none can be built
    with pytest.raises(ModelNotFound, match="GOVSEARCH_PRECISION=float32"):
        Embedder(copy, "cpu", precision="int8")  # torch's fp32 vectors would not mix with int8 ones
    assert Embedder(copy, "cpu", precision="float32").engine == Engine("torch", "float32")


def test_int8_vectors_depend_slightly_on_their_batch(model_dir: Path, exact_embedder: Embedder) -> None:
    """Activations are quantised with one scale per batch, so a text's int8 vector moves with its batch
    companions (measured on 100 report paragraphs: cosine 0.9986 mean, 0.9978 min; queries 0.995 min;
    the empty text here 0.983)."""
    int8 = Embedder(model_dir, "cpu", precision="int8")
    batched, alone = int8.embed_passages(PASSAGES), np.vstack([int8.embed_passages([t]) for t in PASSAGES])
    cosines = np.sum(batched * alone, axis=1)
    assert np.min(cosines) >= 0.98 and np.mean(cosines) >= 0.99 and np.max(np.abs(batched - alone)) > 1e-4
    exact = exact_embedder.embed_passages(PASSAGES)  # fp32: the same vector in any batch
    assert np.allclose(exact, np.vstack([exact_embedder.embed_passages([t]) for t in PASSAGES]), atol=1e-5)
    # A query is embedded alone whatever arrives with it, so searches at the same moment cannot move it.
    queries = int8.embed_query(PASSAGES)
    assert np.array_equal(queries, np.vstack([int8.embed_query([t]) for t in PASSAGES]))
    assert np.array_equal(queries, alone)  # m3e has no query prompt: a query alone is a passage alone


def test_int8_graph_is_quantised_from_these_weights(model_dir: Path) -> None:
    graph = exported_graph(model_dir, "int8")
    record = json.loads((graph.parent / RECORD_FILE).read_text(encoding="utf-8"))
    assert graph == graph_path(model_dir, model_id_of(model_dir), "int8")
    assert (record["model_id"], record["recipe"]) == (model_id_of(model_dir), INT8_RECIPE)
    assert graph_fits(graph.parent, record["model_id"], "int8")
    assert not graph_fits(graph.parent, record["model_id"], "float32")  # another recipe
    assert graph.stat().st_size < exported_graph(model_dir).stat().st_size / 2  # int8 weights


def test_no_input_gives_an_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed_passages([]).shape == (0, 512)
    assert embedder.embed_query([]).shape == (0, 512)


def test_model_description(embedder: Embedder, model_dir: Path) -> None:
    manifest = read_manifest(model_dir)
    assert manifest is not None
    assert embedder.dimension == 512
    assert embedder.max_seq_length == 512
    assert embedder.model_id == manifest["model_id"]
    assert embedder.model_id.startswith("m3e-small@") and len(embedder.model_id) == len("m3e-small@") + 12


def test_model_id_without_a_manifest_is_computed_from_the_weights(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m3e-small"
    copy.mkdir()
    (copy / "model.safetensors").symlink_to(model_dir / "model.safetensors")
    assert model_id_of(copy) == model_id_of(model_dir)


def test_loads_offline_without_warnings(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # transformers keeps its log records to itself unless asked to pass them on.
    transformers.utils.logging.enable_propagation()
    try:
        with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Embedder(model_dir)
    finally:
        transformers.utils.logging.disable_propagation()
    from_libraries = [warning for warning in caught if "transformers" in warning.filename]
    assert caplog.records == [] and from_libraries == []


def test_missing_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="govsearch model fetch"):
        Embedder(tmp_path / "nowhere")


@pytest.mark.parametrize(("cuda", "expected"), [(True, "cuda"), (False, "cpu")])
def test_device_follows_cuda_availability(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cuda: bool, expected: str
) -> None:
    monkeypatch.setattr(embedder_module, "NVIDIA_DRIVER", tmp_path)  # a machine with the driver loaded
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert default_device() == expected


def test_no_nvidia_driver_means_cpu_without_asking_torch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedder_module, "NVIDIA_DRIVER", tmp_path / "absent")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device() == "cpu"
