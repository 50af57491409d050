"""Soak: mixed requests at a fixed rate for a long while; errors, latency and the server's memory over time.

    .venv/bin/python bench/soak.py --spawn --index-dir var/eval-index --rate 4 --duration 600
    .venv/bin/python bench/soak.py --url http://127.0.0.1:8000 --pid 1234     # a running server

The mix: GET and POST /search (words and pasted paragraphs, every mode, some year filters), /similar by
passage and by text, GET and POST /phrases, /documents pages, one document, /chunks with context. Words
are the dev queries of ../shared/eval and pieces of the corpus's own passages, drawn at random (seeded),
so the model sees many input lengths. Requests start on a fixed schedule (`--rate` per second) from a few
client threads; latency counts from the actual send. Loopback only, and at most MAX_REQUESTS requests.
Resident memory of the server is sampled every SAMPLE_SECONDS; growth is from the end of the warm-up.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from server import (
    DEV_QUERIES,
    Server,
    check_loopback,
    load_queries,
    percentile,
    resident_mib,
    spawned_server,
    wait_until_ready,
)

from indexer.embedding.hardware import NATIVE_BF16_FLAGS, cpu_capability, cpu_flags, resolve_engine

MAX_REQUESTS = 200_000
CLIENTS = 8
SAMPLE_SECONDS = 10
HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")

# (kind, weight): what share of the requests each kind gets.
MIX = [
    ("GET /search", 30),
    ("POST /search", 20),
    ("POST /similar chunk", 10),
    ("POST /similar text", 5),
    ("GET /phrases", 8),
    ("POST /phrases", 2),
    ("GET /documents", 10),
    ("GET /documents/{id}", 5),
    ("GET /chunks/{id}", 10),
]


@dataclass(frozen=True)
class Corpus:
    """What the requests are drawn from, read from the server itself before the clock starts."""

    queries: list[str]
    doc_ids: list[str]
    chunk_ids: list[str]
    passages: list[str]

    def words(self, rng: random.Random) -> str:
        """A dev query, or 2–6 characters cut from a run of Han characters in a passage."""
        if rng.random() < 0.5:
            return rng.choice(self.queries)
        runs = HAN_RUN.findall(rng.choice(self.passages)) or ["政府工作"]
        run = rng.choice(runs)
        length = min(len(run), rng.randint(2, 6))
        start = rng.randint(0, len(run) - length)
        return run[start : start + length]

    def paragraph(self, rng: random.Random) -> str:
        """A piece of a passage, 20 to 300 characters (whole passages are shorter at times)."""
        text = rng.choice(self.passages)
        length = rng.randint(20, 300)
        start = rng.randint(0, max(0, len(text) - length))
        piece = text[start : start + length]
        return piece if HAN_RUN.search(piece) else text


def read_corpus(client: httpx.Client, queries: list[str]) -> Corpus:
    doc_ids, chunk_ids, passages = [], [], []
    offset = 0
    while True:
        page = client.get("/documents", params={"limit": 200, "offset": offset}).raise_for_status().json()
        doc_ids += [document["doc_id"] for document in page["documents"]]
        offset += len(page["documents"])
        if not page["documents"] or offset >= page["total"]:
            break
    for doc_id in doc_ids:
        chunks = client.get(f"/documents/{doc_id}").raise_for_status().json()["chunks"]
        chunk_ids += [chunk["chunk_id"] for chunk in chunks]
        passages += [chunk["text"] for chunk in chunks]
    return Corpus(queries, doc_ids, chunk_ids, passages)


def request_for(kind: str, corpus: Corpus, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """Method, path and httpx keyword arguments of one request of this kind."""
    mode = rng.choice(["hybrid", "hybrid", "semantic", "keyword"])
    years = {"year_from": 2010} if rng.random() < 0.2 else {}
    if kind == "GET /search":
        return (
            "GET",
            "/search",
            {"params": {"q": corpus.words(rng), "mode": mode, "k": rng.choice([5, 10, 20])}},
        )
    if kind == "POST /search":
        body = {"q": corpus.paragraph(rng), "mode": mode, "k": 10, "context": rng.choice([0, 1]), **years}
        return "POST", "/search", {"json": body}
    if kind == "POST /similar chunk":
        return "POST", "/similar", {"json": {"chunk_id": rng.choice(corpus.chunk_ids), "k": 5}}
    if kind == "POST /similar text":
        return "POST", "/similar", {"json": {"text": corpus.paragraph(rng), "mode": mode, "k": 5}}
    if kind == "GET /phrases":
        return "GET", "/phrases", {"params": {"q": corpus.words(rng), "k": 10}}
    if kind == "POST /phrases":
        return "POST", "/phrases", {"json": {"q": corpus.paragraph(rng), "k": 10}}
    if kind == "GET /documents":
        offset = rng.randrange(0, max(1, len(corpus.doc_ids)))
        return "GET", "/documents", {"params": {"limit": rng.choice([10, 20, 50]), "offset": offset}}
    if kind == "GET /documents/{id}":
        return "GET", f"/documents/{rng.choice(corpus.doc_ids)}", {}
    return "GET", f"/chunks/{rng.choice(corpus.chunk_ids)}", {"params": {"context": rng.choice([0, 1, 2])}}


@dataclass
class Tally:
    """Latencies (ms) per kind after the warm-up, errors over the whole run, memory samples."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    memory: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int | str, elapsed_ms: float, measured: bool) -> None:
        with self.lock:
            self.requests += 1
            if status not in (200, 201):
                self.errors[f"{kind}: {status}"] += 1
            elif measured:
                self.latencies[kind].append(elapsed_ms)


def run(server: Server, corpus: Corpus, rate: float, duration: float, warmup: float, seed: int) -> Tally:
    """`rate` requests per second for `duration` seconds; request n starts at n / rate, not before."""
    total = int(rate * duration)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    plan_rng = random.Random(seed)
    plan = [(kind, request_for(kind, corpus, plan_rng)) for kind in plan_rng.choices(kinds, weights, k=total)]
    numbers = itertools.count()
    tally = Tally()
    started = time.monotonic()

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as session:
            while (number := next(numbers)) < total:
                delay = started + number / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                kind, (method, path, options) = plan[number]
                sent = time.perf_counter()
                try:
                    status: int | str = session.request(method, path, **options).status_code
                except httpx.TransportError as error:
                    status = type(error).__name__
                elapsed = (time.perf_counter() - sent) * 1000
                tally.record(kind, status, elapsed, measured=number >= rate * warmup)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        if server.pid is not None:
            tally.memory.append((time.monotonic() - started, resident_mib(server.pid)))
        print(
            f"{time.monotonic() - started:6.0f} s: {tally.requests} requests, {sum(tally.errors.values())} "
            f"errors, {tally.memory[-1][1] if tally.memory else 0:.0f} MiB",
            file=sys.stderr,
        )
        for thread in threads:
            thread.join(timeout=SAMPLE_SECONDS / len(threads))
    if server.pid is not None:
        tally.memory.append((time.monotonic() - started, resident_mib(server.pid)))
    return tally


def memory_summary(memory: list[tuple[float, float]], warmup: float) -> list[str]:
    if not memory:
        return ["resident memory: not measured (pass --pid for a server started elsewhere)"]
    after_warmup = next((mib for at, mib in memory if at >= warmup), memory[-1][1])
    end = memory[-1][1]
    peak = max(mib for _, mib in memory)
    growth = (end - after_warmup) / after_warmup * 100
    return [
        f"resident memory: {after_warmup:.0f} MiB after the {warmup:.0f} s warm-up, {end:.0f} MiB at the end "
        f"({growth:+.1f}%), peak {peak:.0f} MiB",
        "by minute (MiB): "
        + " ".join(f"{mib:.0f}" for at, mib in memory if at // 60 != (at - SAMPLE_SECONDS) // 60),
    ]


def report(tally: Tally, rate: float, duration: float, warmup: float, elapsed: float) -> str:
    measured = [value for values in tally.latencies.values() for value in values]
    bf16_flags = " ".join(sorted(cpu_flags() & NATIVE_BF16_FLAGS)) or "-"
    engine = resolve_engine("auto", "auto", "cpu")
    lines = [
        f"cpu {cpu_capability()}, native bf16 flags: {bf16_flags}, "
        f"engine {engine.runtime} {engine.precision}",
        f"{tally.requests} requests in {elapsed:.0f} s ({tally.requests / elapsed:.2f}/s, asked {rate}/s for "
        f"{duration:.0f} s), {sum(tally.errors.values())} errors",
        f"after the warm-up: p50 {percentile(measured, 0.5):.0f} ms, p99 {percentile(measured, 0.99):.0f} ms",
        *memory_summary(tally.memory, warmup),
        "",
        "| request | count | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for kind, _ in MIX:
        values = tally.latencies.get(kind, [])
        if values:
            lines.append(
                f"| {kind} | {len(values)} | {percentile(values, 0.5):.0f} | {percentile(values, 0.99):.0f} |"
            )
    lines += [f"error {name}: {count}" for name, count in tally.errors.most_common()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (loopback only)")
    parser.add_argument("--pid", type=int, help="its process id, to sample its resident memory")
    parser.add_argument("--spawn", action="store_true", help="start `govsearch serve` on a free port instead")
    parser.add_argument("--index-dir", type=Path, default=Path("var/eval-index"), help="index for --spawn")
    parser.add_argument("--queries", type=Path, default=DEV_QUERIES)
    parser.add_argument("--rate", type=float, default=4.0, help="requests per second, started on schedule")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds, warm-up included")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds left out of latency and growth")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    if not 0 < args.rate * args.duration <= MAX_REQUESTS:
        raise SystemExit(f"--rate x --duration must be between 1 and {MAX_REQUESTS} requests")
    if not 0 <= args.warmup < args.duration:
        raise SystemExit("--warmup must be shorter than --duration")

    def soak(server: Server) -> None:
        check_loopback(server.url)
        wait_until_ready(server.url)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            corpus = read_corpus(client, load_queries(args.queries))
        print(f"{len(corpus.doc_ids)} documents, {len(corpus.chunk_ids)} passages", file=sys.stderr)
        started = time.monotonic()
        tally = run(server, corpus, args.rate, args.duration, args.warmup, args.seed)
        print(report(tally, args.rate, args.duration, args.warmup, time.monotonic() - started))

    if args.spawn:
        with spawned_server(args.index_dir) as server:
            soak(server)
    else:
        soak(Server(args.url, args.pid))


if __name__ == "__main__":
    main()
