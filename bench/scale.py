"""The index at scale: N synthetic passages (bench/synthetic.py), bulk-loaded, then measured cold.

    nice -n 10 .venv/bin/python bench/scale.py --passages 100000 --real-index var/eval-index [--json]

Reports build time (see `build`), recall@10 of the dense store against exact search, retrieval latency
p50/p99 for dense and hybrid (ranking and the page of hits, given the query vector), resident memory after
searching and adding a report (the model loaded), the time to add one real report and to delete it, and
the time from opening the index to a ready dense store and keyword index. What does not depend on the
index size is timed apart and printed to stderr: loading the model, encoding queries, embedding the added
report's passages (their vectors are cached before `Index.add` is timed), loading jieba's part-of-speech
dictionary that phrase statistics use. The synthetic data and the built index are cached under --cache; a
rerun measures again without rebuilding. --clock cpu times by this process's CPU time, for a machine
shared with other work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from synthetic import exact_top, queries, real_passages, synthetic

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_file
from indexer.records import Chunk, DocType, Document, Filters, Level
from indexer.search.searcher import QueryWords, SearchOptions
from indexer.store.catalog import Catalog, StoredChunk
from indexer.store.passages import embedding_key, passage_text
from indexer.store.vector_log import VectorLog
from indexer.text.normalize import normalize_for_search
from indexer.text.tokenize import tokenize_for_search, word_tag

PER_DOCUMENT = 60
COMMIT_PASSAGES = 1_700 * PER_DOCUMENT  # whole documents in each commit
LEVELS = [Level.PROVINCE, Level.CITY, Level.COUNTY]


def documents(
    start: int, stop: int, texts: list[str], sources: np.ndarray
) -> list[tuple[Document, list[Chunk]]]:
    """Synthetic reports of PER_DOCUMENT passages each, covering passages start..stop."""
    out = []
    for first in range(start, stop, PER_DOCUMENT):
        number = first // PER_DOCUMENT
        doc_id = f"syn-{number:06d}"
        passages = [f"{texts[sources[i]]}（{i}）" for i in range(first, min(stop, first + PER_DOCUMENT))]
        chunks, offset = [], 0
        for ordinal, passage in enumerate(passages):
            chunks.append(
                Chunk(f"{doc_id}-{ordinal}", doc_id, ordinal, offset, offset + len(passage), passage)
            )
            offset += len(passage) + 1
        document = Document(
            doc_id=doc_id,
            title=f"合成报告{number}",
            source=f"synthetic/{number}.txt",
            year=2000 + number % 25,
            level=LEVELS[number % len(LEVELS)],
            doc_type=DocType.REPORT,
            origin="synthetic",
            text="\n".join(passages),
        )
        out.append((document, chunks))
    return out


def build(args: argparse.Namespace) -> None:
    """Bulk load through the commit path's parts, in its own process so the measuring one starts cold.

    Like `Index.add` with every vector already cached (in commits of ~100,000 passages, the dense store
    built once at the end, as one large sync does), minus phrase statistics (their n-gram counting,
    ~30 ms a passage here, would take the 1M build to hours and is not what this measures); keyword
    terms are computed once per real text (jieba, ~15 ms a passage) and the passage's number appended.
    """
    texts, real = real_passages(args.real_index, args.cache)
    vectors, sources = synthetic(args.passages, real, args.cache)
    started = clock()
    index = Index(IndexConfig(args.index_dir, args.model_dir, vector_kind=args.vector_index), create=True)
    model_id = index.embedder.model_id
    normalized = [normalize_for_search(text) for text in texts]
    terms: dict[int, str] = {}
    for start in range(0, args.passages, COMMIT_PASSAGES):
        batch = documents(start, min(args.passages, start + COMMIT_PASSAGES), texts, sources)
        stored = []
        for document, chunks in batch:
            rows = []
            for chunk in chunks:
                number = int(chunk.text.rsplit("（", 1)[1][:-1])
                source = int(sources[number])
                if source not in terms:
                    terms[source] = " ".join(tokenize_for_search(normalized[source]))
                key = embedding_key(model_id, f"{normalized[source]}（{number}）")
                rows.append(StoredChunk(chunk, "", f"{terms[source]} {number}", key))
            stored.append((document, rows))
        keys = [row.embedding_key for _, rows in stored for row in rows]
        index.embeddings.add(keys, np.asarray(vectors[start : start + len(keys)]))
        with index.database.transaction() as connection:
            generation = index.catalog.generation() + 1
            for document, rows in stored:
                Catalog.insert_document(connection, document, rows)
            VectorLog.record(
                connection, generation, VectorLog.rows_of(connection, [d.doc_id for d, _ in stored])
            )
            Catalog.set_manifest(connection, index._manifest(generation))
        print(f"  {start + len(keys)} passages, {clock() - started:.0f} s", file=sys.stderr)
    index.searcher()  # the dense store catches up with every commit at once: a bulk change, one build
    (args.index_dir / "bench-build.json").write_text(json.dumps({"build_s": clock() - started}))


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def timed(function: Callable[..., object], *arguments: object) -> float:
    """Milliseconds one call takes, on the chosen clock."""
    started = clock()
    function(*arguments)
    return (clock() - started) * 1000


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ground_truth(args: argparse.Namespace, real: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Exact top 10 by position; the memory map is dropped on return, so its pages leave the RSS."""
    vectors, _ = synthetic(args.passages, real, args.cache)
    return exact_top(vectors, probe)


def measure(args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    """The --json keys, and what is timed apart: loading the model, embedding the added report."""
    _, real = real_passages(args.real_index, args.cache)
    probe = queries(real, args.queries)
    truth = ground_truth(args, real, probe)
    started = clock()
    index = Index(IndexConfig(args.index_dir, args.model_dir, vector_kind=args.vector_index))
    index._local_stores()  # ready: the catalog open, dense store and keyword index loaded and up to date
    ready_s = clock() - started
    started = clock()
    searcher = index.searcher()  # loads the model: the same at any index size
    model_s = clock() - started

    rows = np.fromiter(
        (r[0] for r in index.database.connection.execute("SELECT id FROM chunks ORDER BY id")), np.int64
    )
    found = [
        np.searchsorted(rows, [row for row, _ in searcher.vectors.search(q, 10, Filters())]) for q in probe
    ]
    recall = float(
        np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True)])
    )

    dense = SearchOptions(mode="semantic")
    nothing = QueryWords("", searcher.keywords)
    highlighting = searcher.highlighting(nothing)
    dense_ms = [
        timed(lambda q: searcher.page(searcher.rank(nothing, q, dense), highlighting, dense), q)
        for q in probe
    ]
    texts_q = [
        json.loads(line)["query"]
        for line in (args.shared / "eval" / "dev_queries.jsonl").open(encoding="utf-8")
    ]
    encoded = index.embedder.embed_query(texts_q)
    hybrid = SearchOptions()

    def hybrid_page(text: str, vector: np.ndarray) -> None:
        words = QueryWords(text, searcher.keywords)
        searcher.page(searcher.rank(words, vector, hybrid), searcher.highlighting(words), hybrid)

    hybrid_ms = [timed(hybrid_page, t, v) for _ in range(4) for t, v in zip(texts_q, encoded, strict=True)]

    # One report: the first national government work report (about a hundred passages to embed).
    report = ingest_file(args.shared / "corpus" / "national" / "government_work_reports.jsonl")[:1]
    texts = {
        embedding_key(index.embedder.model_id, passage_text(c)): passage_text(c)
        for _, cs in report
        for c in cs
    }
    started = clock()  # the model's share, the same at any index size, timed apart
    index.embeddings.add(list(texts), index.embedder.embed_passages(list(texts.values())))
    embed_s = clock() - started
    started = clock()  # jieba's part-of-speech dictionary for phrase statistics: loaded once a process
    word_tag("发展")
    tagger_s = clock() - started
    add_s = timed(index.add, report) / 1000
    delete_s = sum(timed(index.delete_document, document.doc_id) for document, _ in report) / 1000
    p50, p99 = percentiles(dense_ms)
    return {
        "passages": args.passages,
        "build_s": json.loads((args.index_dir / "bench-build.json").read_text())["build_s"],
        "recall_at_10": recall,
        "p50_ms": p50,
        "p99_ms": p99,
        "hybrid_p99_ms": percentiles(hybrid_ms)[1],
        "rss_mb": resident_mb(),
        "add_one_s": add_s,
        "delete_one_s": delete_s,
        "ready_s": ready_s,
    }, {
        "model_load_s": model_s,
        "embed_one_s": embed_s,
        "tagger_load_s": tagger_s,
        "report_passages": len(texts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/scale"), help="synthetic data and indexes")
    parser.add_argument(
        "--real-index",
        type=Path,
        default=Path("var/eval-index"),
        help="index of ../shared/corpus whose passages seed the synthetic ones",
    )
    parser.add_argument("--model-dir", type=Path, default=Path("models/m3e-small"))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--vector-index", default="auto", choices=["auto", "flat", "ivf"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="time measurements by the wall clock, or by the CPU time this process used (a loaded machine)",
    )
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    global clock
    clock = CLOCKS[args.clock]
    args.index_dir = args.cache / f"index-{args.passages}-{args.vector_index}"
    if args.build_only:
        build(args)
        return
    if not (args.index_dir / "bench-build.json").exists():
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--build-only"], check=True)
    result, apart = measure(args)
    print(json.dumps(apart), file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in (result | apart).items():
            print(f"{key:14s} {value:,.3f}")


if __name__ == "__main__":
    main()
