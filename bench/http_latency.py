"""HTTP latency (p50, p99) and throughput of hybrid search with 1, 4, 16 and 64 concurrent clients, then
an overload run: twice the sustainable rate, open loop, for a minute.

    .venv/bin/python bench/http_latency.py --url http://127.0.0.1:8000
    .venv/bin/python bench/http_latency.py --spawn --index-dir var/eval-index   # starts `govsearch serve`

Each client is a thread with its own keep-alive connection (the standard library's client, lighter than
httpx on the cores it shares with the server) sending `GET /search` (mode hybrid, k 10).
Queries vary so that no cache can answer them: each is a dev query of ../shared/eval (or a built-in one)
with a word drawn from the corpus added (`--repeat` sends the plain dev queries round-robin instead).
The overload run sends requests at fixed intervals whatever the answers (2x the throughput measured at
16 clients by default) and reports admitted p99, refusals (503 with Retry-After), timeouts and the
server's resident memory before and after (known with --spawn, or --pid). Loopback only, and a bounded
number of requests, so it can never load anything but the local server.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from query_mix import QueryMix, corpus_words  # bench/, beside this script
from server import (
    DEV_QUERIES,
    SearchClient,
    check_loopback,
    cpu_seconds,
    load_queries,
    percentile,
    resident_mib,
    spawned_server,
    wait_until_ready,
)

MAX_REQUESTS = 5000
MAX_OVERLOAD_RATE = 2000  # requests per second


@dataclass(frozen=True)
class LevelResult:
    """One concurrency level: latencies in milliseconds, wall time and failures."""

    clients: int
    latencies_ms: list[float]
    wall_seconds: float
    failures: int
    refused: int = 0  # 503 busy, with Retry-After
    timeouts: int = 0
    memory_mb: tuple[float, float] | None = field(default=None)  # server RSS before and after
    server_cpu_ms: float | None = None  # the server's CPU time per answered request, all its threads

    def percentile(self, share: float) -> float:
        return percentile(self.latencies_ms, share)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_seconds


def run_level(
    url: str, queries: QueryMix, clients: int, requests: int, mode: str, pid: int | None = None
) -> LevelResult:
    """`requests` searches shared by `clients` threads; each records the latency of its own requests.
    With the server's `pid`, also its CPU time per answered request: what throughput costs, which a
    machine whose speed varies from minute to minute shows less than latency."""
    counter = itertools.count()
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal failures
        session = SearchClient(url, timeout=120)
        while (number := next(counter)) < requests:
            params: dict[str, str | int] = {"q": queries(number), "mode": mode, "k": 10}
            started = time.perf_counter()
            status, _ = session.search(params)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    failures += 1
        session.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    used = cpu_seconds(pid) if pid is not None else 0.0
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu_ms = (cpu_seconds(pid) - used) * 1000 / max(1, len(latencies)) if pid is not None else None
    return LevelResult(clients, latencies, wall, failures, server_cpu_ms=cpu_ms)


def run_overload(
    url: str, queries: QueryMix, rate: float, seconds: float, mode: str, pid: int | None
) -> LevelResult:
    """Requests sent every 1/rate s for `seconds`, whatever the answers (open loop), from a pool big
    enough that the sender never waits; latencies of admitted (200) requests only."""
    requests = int(rate * seconds)
    latencies: list[float] = []
    counts = {"refused": 0, "timeouts": 0, "failures": 0}
    lock = threading.Lock()
    local = threading.local()

    def send(number: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = SearchClient(url, timeout=10)
        started = time.perf_counter()
        try:
            status, retry_after = session.search({"q": queries(number), "mode": mode, "k": 10})
        except TimeoutError:
            outcome = "timeouts"
        else:
            if status == 200:
                outcome = ""
            elif status == 503 and retry_after:
                outcome = "refused"
            else:
                outcome = "failures"
        with lock:
            if outcome:
                counts[outcome] += 1
            else:
                latencies.append((time.perf_counter() - started) * 1000)

    before = resident_mib(pid) if pid is not None else None
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(512, max(16, int(rate * 2)))) as pool:
        for number in range(requests):
            time.sleep(max(0.0, started + number / rate - time.perf_counter()))
            pool.submit(send, number)
        sending = time.perf_counter() - started  # the pool then waits for the last answers
    after = resident_mib(pid) if pid is not None else None
    memory = (before, after) if before is not None and after is not None else None
    return LevelResult(
        0, latencies, sending, counts["failures"], counts["refused"], counts["timeouts"], memory
    )


def report(results: list[LevelResult], url: str, queries: QueryMix, mode: str) -> str:
    stats = httpx.get(f"{url}/stats", timeout=10).json()["counts"]
    lines = [
        f"{mode} search over {stats['documents']} documents / {stats['chunks']} passages, "
        f"{queries}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "",
        "| clients | requests | p50 ms | p99 ms | requests/s | failures | server CPU ms/request |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        cpu = "—" if result.server_cpu_ms is None else f"{result.server_cpu_ms:.1f}"
        lines.append(
            f"| {result.clients} | {len(result.latencies_ms)} | {result.percentile(0.50):.0f} | "
            f"{result.percentile(0.99):.0f} | {result.throughput:.1f} | {result.failures} | {cpu} |"
        )
    return "\n".join(lines)


def overload_report(result: LevelResult, rate: float) -> str:
    memory = "unknown (no --spawn or --pid)"
    if result.memory_mb is not None:
        before, after = result.memory_mb
        memory = f"{before:.0f} MB → {after:.0f} MB ({(after / before - 1) * 100:+.1f} %)"
    admitted = len(result.latencies_ms)
    latency = (
        f"p50 {result.percentile(0.5):.0f} ms, p99 {result.percentile(0.99):.0f} ms, "
        f"max {max(result.latencies_ms):.0f} ms"
        if admitted
        else "none admitted"
    )
    return (
        f"overload: {rate:.0f} requests/s for {result.wall_seconds:.0f} s; admitted {admitted} "
        f"({admitted / result.wall_seconds:.1f}/s): {latency}; refused 503 + Retry-After {result.refused}; "
        f"timeouts {result.timeouts}; other failures {result.failures}; server memory {memory}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (loopback only)")
    parser.add_argument("--spawn", action="store_true", help="start `govsearch serve` on a free port instead")
    parser.add_argument("--index-dir", type=Path, default=Path("var/eval-index"), help="index for --spawn")
    parser.add_argument("--queries", type=Path, default=DEV_QUERIES)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--requests", type=int, default=200, help=f"per level, at most {MAX_REQUESTS}")
    parser.add_argument("--warmup-rounds", type=int, default=4, help="passes over the queries first")
    parser.add_argument("--mode", choices=["hybrid", "semantic", "keyword"], default="hybrid")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"), help="words to vary queries")
    parser.add_argument(
        "--repeat", action="store_true", help="plain dev queries, round-robin (cache-friendly)"
    )
    parser.add_argument("--overload-seconds", type=float, default=60, help="0 skips the overload run")
    parser.add_argument("--overload-rate", type=float, help="requests/s (default: 2x the 16-client rate)")
    parser.add_argument("--pid", type=int, help="the server's process id, for its memory (without --spawn)")
    args = parser.parse_args()
    if not 1 <= args.requests <= MAX_REQUESTS:
        raise SystemExit(f"--requests must be between 1 and {MAX_REQUESTS}")
    words = [] if args.repeat or not args.corpus.exists() else corpus_words(args.corpus)
    queries = QueryMix(load_queries(args.queries), words)

    def measure(url: str, pid: int | None) -> None:
        check_loopback(url)
        wait_until_ready(url)
        # A fresh server is slow for its first minute (kernels per input shape, thread pools, page cache):
        # a few concurrent passes over the queries keep that out of the numbers.
        warm_up = QueryMix(queries.queries, words, seed=1)
        run_level(url, warm_up, 4, args.warmup_rounds * len(queries.queries), args.mode)
        results = []
        for level, clients in enumerate(args.clients):
            mix = QueryMix(queries.queries, words, seed=2 + level)
            result = run_level(url, mix, clients, args.requests, args.mode, pid)
            p50, p99 = result.percentile(0.5), result.percentile(0.99)
            summary = f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, {result.throughput:.1f} req/s"
            print(f"{clients:3d} clients: {summary}, {result.failures} failures", file=sys.stderr)
            results.append(result)
        print(report(results, url, queries, args.mode))
        if args.overload_seconds > 0:
            sustainable = next((r.throughput for r in results if r.clients == 16), results[-1].throughput)
            rate = min(MAX_OVERLOAD_RATE, args.overload_rate or 2 * sustainable)
            mix = QueryMix(queries.queries, words, seed=99)
            print(overload_report(run_overload(url, mix, rate, args.overload_seconds, args.mode, pid), rate))

    if args.spawn:
        with spawned_server(args.index_dir) as server:
            measure(server.url, server.pid)
    else:
        measure(args.url, args.pid)


if __name__ == "__main__":
    main()
