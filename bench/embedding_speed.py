"""Embedding throughput and query latency of every runtime and precision, on ~300 real report paragraphs.

Run: .venv/bin/python bench/embedding_speed.py [--count 300] [--rounds 3] [--variants naive,torch,...]
On a GPU: --device cuda --variants naive,torch-fp32,torch-fp16,torch-bf16 [--batch-size 256]
(--save-reference / --reference carry the CPU fp32 vectors of the same passages to a machine whose model
copy differs, so cosines stay relative to the true reference.)

In one run on the same passages: naive sentence-transformers fp32 (`SentenceTransformer.encode`, the
reference), then each engine of the product, rounds interleaved so a burst of other load hits all alike.
Prints the CPU flags, passages/s and characters/s, the speed-up over naive, the mean and minimum cosine to
the reference, and the p50 time to embed one short query (2–12 characters).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from indexer.embedding.embedder import Embedder
from indexer.embedding.hardware import Precision, Runtime, cpu_flags, resolve_engine
from indexer.embedding.info import REPORTED_FLAGS

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY.parent / "shared" / "corpus" / "national" / "government_work_reports.jsonl"
EXAMPLES = REPOSITORY / "examples" / "reports"
# Paragraph lengths kept: around the ~200-character passages the chunker produces.
SHORTEST, LONGEST = 150, 260
QUERIES = [
    "稳",
    "招商引资",
    "粮食安全",
    "营商环境优化",
    "乡村振兴战略",
    "新质生产力",
    "高质量发展首要任务",
    "深化国资国企改革攻坚",
]
# name → (runtime, precision) of the product's engines; "naive" is sentence-transformers as shipped.
ENGINES: dict[str, tuple[Runtime, Precision]] = {
    "torch-fp32": ("torch", "float32"),
    "torch-bf16": ("torch", "bfloat16"),
    "torch-fp16": ("torch", "float16"),
    "onnx-fp32": ("onnx", "float32"),
    "onnx-int8": ("onnx", "int8"),
    "openvino-fp32": ("openvino", "float32"),
}
Encode = Callable[[list[str]], np.ndarray]


def paragraphs(count: int, examples: bool) -> list[str]:
    """The first `count` paragraphs of passage size, in file order, so every run measures the same text:
    from ../shared's national reports, or the bundled examples where ../shared is absent."""
    if CORPUS.exists() and not examples:
        with CORPUS.open(encoding="utf-8") as lines:
            documents = [json.loads(line)["content"] for line in lines]
    else:
        documents = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.txt"))]
    found: list[str] = []
    for document in documents:
        for paragraph in document.split("\n"):
            if SHORTEST <= len(paragraph.strip()) <= LONGEST:
                found.append(paragraph.strip())
                if len(found) == count:
                    return found
    return found


def naive_encoders(model_dir: Path, device: str) -> tuple[Encode, Encode]:
    """Plain sentence-transformers, fp32, default batch size: what a user gets without this product."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, normalize_embeddings=True, convert_to_numpy=True))

    return encode, encode


def timed(
    encoders: dict[str, Encode], texts: list[str], rounds: int
) -> dict[str, tuple[float, float, np.ndarray]]:
    """Best of `rounds` wall seconds and CPU seconds (all threads), and the vectors, rounds interleaved.

    On a loaded machine wall time measures the share of the CPUs a run got; CPU time, the work it needed.
    """
    for encode in encoders.values():
        encode(texts[:32])  # warm-up: first-call allocations and graph compilation
    wall = dict.fromkeys(encoders, float("inf"))
    cpu = dict.fromkeys(encoders, float("inf"))
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name, encode in encoders.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            vectors[name] = encode(texts)
            wall[name] = min(wall[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
    return {name: (wall[name], cpu[name], vectors[name]) for name in encoders}


def query_p50_ms(encode: Encode, repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds to embed one short query, as a search does."""
    wall, cpu = [], []
    for _ in range(repeats):
        for query in QUERIES:
            start, start_cpu = time.perf_counter(), time.process_time()
            encode([query])
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--query-repeats", type=int, default=20)
    parser.add_argument("--model-dir", type=Path, default=REPOSITORY / "models" / "m3e-small")
    parser.add_argument("--variants", default="naive,torch-fp32,torch-bf16,onnx-fp32,openvino-fp32,onnx-int8")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--examples", action="store_true", help="paragraphs of examples/reports only")
    parser.add_argument("--copies", type=int, default=1, help="the passages this many times (GPU batches)")
    parser.add_argument("--batch-size", type=int, help="texts per model call (default: the product's)")
    parser.add_argument("--save-reference", type=Path, help="write the first variant's vectors (.npy)")
    parser.add_argument("--reference", type=Path, help="cosines against these vectors (.npy) instead")
    arguments = parser.parse_args()

    texts = paragraphs(arguments.count, arguments.examples) * arguments.copies
    characters = sum(len(text) for text in texts)
    passage_encoders: dict[str, Encode] = {}
    query_encoders: dict[str, Encode] = {}
    for name in arguments.variants.split(","):
        if name == "naive":
            passage_encoders[name], query_encoders[name] = naive_encoders(
                arguments.model_dir, arguments.device
            )
            continue
        runtime, precision = ENGINES[name]
        embedder = Embedder(
            arguments.model_dir, arguments.device, arguments.batch_size, runtime=runtime, precision=precision
        )
        passage_encoders[name], query_encoders[name] = embedder.embed_passages, embedder.embed_query
    measured = timed(passage_encoders, texts, arguments.rounds)

    default = resolve_engine("auto", "auto", arguments.device)
    print(f"cpu flags: {' '.join(sorted(cpu_flags() & REPORTED_FLAGS)) or '-'}; {os.cpu_count()} CPUs")
    if arguments.device != "cpu":
        import torch

        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    print(f"default engine here: {default.runtime} {default.precision}")
    print(
        f"{len(texts)} paragraphs, mean {characters / len(texts):.0f} characters; best of {arguments.rounds}"
    )
    reference_name = next(iter(measured))
    reference_seconds, reference_cpu, reference = measured[reference_name]
    if arguments.save_reference:
        np.save(arguments.save_reference, reference)
    cosine_name = reference_name
    if arguments.reference:
        reference = np.tile(np.load(arguments.reference), (arguments.copies, 1))
        cosine_name = arguments.reference.name
    columns = ("passages/s", "chars/s", "speed-up", "chars/cpu-s", "cpu ratio", "cos mean", "cos min")
    print(f"{'variant':>14} " + " ".join(f"{column:>11}" for column in columns) + "  query p50 wall/cpu")
    for name, (seconds, cpu_seconds, vectors) in measured.items():
        cosines = np.sum(vectors * reference, axis=1)
        p50, p50_cpu = query_p50_ms(query_encoders[name], arguments.query_repeats)
        print(
            f"{name:>14} {len(texts) / seconds:11.1f} {characters / seconds:11.0f} "
            f"{reference_seconds / seconds:10.2f}x {characters / cpu_seconds:11.0f} "
            f"{reference_cpu / cpu_seconds:10.2f}x {cosines.mean():11.6f} {cosines.min():11.6f}"
            f"  {p50:7.2f} / {p50_cpu:.2f} ms"
        )
    print(f"speed-up and cpu ratio are relative to {reference_name}, cosine to {cosine_name}")


if __name__ == "__main__":
    main()
