"""A govsearch server for the HTTP benchmarks: loopback only, spawned on a free port, watched from outside.

Shared by bench/http_latency.py and bench/soak.py; run either from the repository root.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEV_QUERIES = Path("../shared/eval/dev_queries.jsonl")
FALLBACK_QUERIES = ["招商引资", "优化营商环境", "乡村振兴", "民生保障", "科技创新", "生态环境保护"]
READY_TIMEOUT_SECONDS = 900  # a loaded machine takes minutes to load the model
READY_IN_A_ROW = 10


@dataclass(frozen=True)
class Server:
    """Where a server answers, and its process id when this machine can see it (for its memory)."""

    url: str
    pid: int | None = None


def load_queries(path: Path) -> list[str]:
    if not path.exists():
        print(f"{path} not found: using {len(FALLBACK_QUERIES)} built-in queries", file=sys.stderr)
        return FALLBACK_QUERIES
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["query"] for line in handle if line.strip()]


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host}: this benchmark only talks to a server on loopback")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def spawned_server(index_dir: Path) -> Iterator[Server]:
    """`govsearch serve` in its own process (so the clients do not share its GIL), until ready."""
    port = free_port()
    environment = {**os.environ, "GOVSEARCH_INDEX_DIR": str(index_dir), "GOVSEARCH_HOST": "127.0.0.1"}
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve", "--port", str(port)]
    # Its access log (stdout) would drown the report; errors still reach stderr.
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
        yield Server(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_ready(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until /readyz has answered 200 READY_IN_A_ROW times, each on a new connection: with several
    workers, each answers for itself, and one may still be loading when another is ready."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    ready = 0
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
            ready = ready + 1 if response.status_code == 200 else 0
            if ready >= READY_IN_A_ROW:
                return
            if ready == 0 and response.json().get("error", {}).get("code") != "index_loading":
                raise SystemExit(f"server not ready: {response.text}")
        except httpx.TransportError:
            ready = 0
        time.sleep(0.5 if ready == 0 else 0.1)
    raise SystemExit(f"{url} was not ready after {READY_TIMEOUT_SECONDS}s")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


class SearchClient:
    """One keep-alive connection sending GET /search, on the standard library's HTTP client: about a third
    of httpx's CPU per request (0.29 against 0.94 ms, measured here), which the server would otherwise
    lose, since the load generator shares its cores. A timed-out connection is opened again."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)

    def search(self, params: dict[str, str | int]) -> tuple[int, bool]:
        """The status of one search, and whether it carried Retry-After; TimeoutError after `timeout`."""
        try:
            self._connection.request("GET", f"/search?{urlencode(params)}")
            response = self._connection.getresponse()
            response.read()
        except TimeoutError:
            self._connection.close()  # the answer may still come: a new request needs a new connection
            raise
        return response.status, response.getheader("Retry-After") is not None

    def close(self) -> None:
        self._connection.close()


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces): state, parent, … (Linux)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_processes(pid: int) -> list[int]:
    """The server and its descendants: `govsearch serve` with GOVSEARCH_WORKERS > 1 answers from worker
    processes it started."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # ended meanwhile
                parents[int(entry.name)] = int(stat_fields(int(entry.name))[1])
    tree = [pid]
    for process in tree:
        tree.extend(child for child, parent in parents.items() if parent == process)
    return tree


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system, all threads) the server's processes have used so far (Linux)."""
    ticks = sum(int(fields[11]) + int(fields[12]) for fields in map(stat_fields, server_processes(pid)))
    return ticks / os.sysconf("SC_CLK_TCK")


def resident_mib(pid: int) -> float:
    """Resident memory of the server's processes (Linux), in MiB."""
    total = 0.0
    for process in server_processes(pid):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    if not total:
        raise SystemExit(f"no VmRSS for process {pid}")
    return total
