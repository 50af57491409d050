"""`govsearch serve` as users run it: its own process (and its workers) on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

GOVSEARCH = str(Path(sys.executable).parent / "govsearch")
SERVER_START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(environment: dict[str, str], ready_in_a_row: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """The server's base URL and process, once /readyz answered 200 `ready_in_a_row` times, each on a new
    connection (each worker answers for itself); terminated (SIGTERM) on the way out."""
    port = free_port()
    server = subprocess.Popen(
        [GOVSEARCH, "serve", "--port", str(port)],
        env={**os.environ, **environment},
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        ready = 0
        while ready < ready_in_a_row:
            try:
                ready = ready + 1 if httpx.get(f"{base}/readyz").status_code == 200 else 0
            except httpx.TransportError:
                ready = 0
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.5 if ready == 0 else 0.05)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=60)
