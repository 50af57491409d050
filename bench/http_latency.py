"""HTTP latency (p50, p99) and throughput of hybrid search with 1, 4 and 16 concurrent clients.

    .venv/bin/python bench/http_latency.py --url http://127.0.0.1:8000
    .venv/bin/python bench/http_latency.py --spawn --index-dir var/eval-index   # starts `govsearch serve`

Each client is a thread with its own keep-alive connection posting `POST /search` (mode hybrid, k 10)
over the query list (the 25 dev queries of ../shared/eval when present) round-robin. Loopback only,
and a bounded number of requests per level, so it can never load anything but the local server.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from server import DEV_QUERIES, check_loopback, load_queries, percentile, spawned_server, wait_until_ready

MAX_REQUESTS = 5000


@dataclass(frozen=True)
class LevelResult:
    """One concurrency level: latencies in milliseconds, wall time and failures."""

    clients: int
    latencies_ms: list[float]
    wall_seconds: float
    failures: int

    def percentile(self, share: float) -> float:
        return percentile(self.latencies_ms, share)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_seconds


def run_level(url: str, queries: list[str], clients: int, requests: int, mode: str) -> LevelResult:
    """`requests` searches shared by `clients` threads; each records the latency of its own requests."""
    counter = itertools.count()
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal failures
        with httpx.Client(base_url=url, timeout=120) as session:
            while (number := next(counter)) < requests:
                body = {"q": queries[number % len(queries)], "mode": mode, "k": 10}
                started = time.perf_counter()
                response = session.post("/search", json=body)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        failures += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LevelResult(clients, latencies, time.perf_counter() - started, failures)


def report(results: list[LevelResult], url: str, queries: int, mode: str) -> str:
    stats = httpx.get(f"{url}/stats", timeout=10).json()["counts"]
    lines = [
        f"{mode} search over {stats['documents']} documents / {stats['chunks']} passages, "
        f"{queries} queries round-robin; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "",
        "| clients | requests | p50 ms | p99 ms | requests/s | failures |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| {result.clients} | {len(result.latencies_ms)} | {result.percentile(0.50):.0f} | "
            f"{result.percentile(0.99):.0f} | {result.throughput:.1f} | {result.failures} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (loopback only)")
    parser.add_argument("--spawn", action="store_true", help="start `govsearch serve` on a free port instead")
    parser.add_argument("--index-dir", type=Path, default=Path("var/eval-index"), help="index for --spawn")
    parser.add_argument("--queries", type=Path, default=DEV_QUERIES)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=200, help=f"per level, at most {MAX_REQUESTS}")
    parser.add_argument("--warmup-rounds", type=int, default=4, help="passes over the queries first")
    parser.add_argument("--mode", choices=["hybrid", "semantic", "keyword"], default="hybrid")
    args = parser.parse_args()
    if not 1 <= args.requests <= MAX_REQUESTS:
        raise SystemExit(f"--requests must be between 1 and {MAX_REQUESTS}")
    queries = load_queries(args.queries)

    def measure(url: str) -> None:
        check_loopback(url)
        wait_until_ready(url)
        # A fresh server is slow for its first minute (kernels per input shape, thread pools, page cache):
        # a few concurrent passes over the queries keep that out of the numbers.
        run_level(url, queries, 4, args.warmup_rounds * len(queries), args.mode)
        results = []
        for clients in args.clients:
            result = run_level(url, queries, clients, args.requests, args.mode)
            p50, p99 = result.percentile(0.5), result.percentile(0.99)
            summary = f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, {result.throughput:.1f} req/s"
            print(f"{clients:3d} clients: {summary}, {result.failures} failures", file=sys.stderr)
            results.append(result)
        print(report(results, url, len(queries), args.mode))

    if args.spawn:
        with spawned_server(args.index_dir) as server:
            measure(server.url)
    else:
        measure(args.url)


if __name__ == "__main__":
    main()
