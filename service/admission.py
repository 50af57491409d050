"""Load shedding for searches: a few run at once, a few more wait briefly, the rest hear "busy" at once.

Two cores answer a fixed number of searches a second; a server that queues everything beyond that makes
every request late and grows without bound. Admitted searches keep their latency because the queue in
front of them is short (and its wait is capped); a refused one gets 503 with Retry-After in microseconds,
which a client or a load balancer can act on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.errors import ApiError

# Seconds a refused client is asked to wait before retrying.
RETRY_AFTER_SECONDS = 1


class Admission:
    """At most `running` searches at once; at most `waiting` more wait, each for at most `wait_seconds`."""

    def __init__(self, running: int, waiting: int, wait_seconds: float) -> None:
        self.waiting = waiting
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._queued = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the running slots for the duration; ApiError 503 when none frees up in time."""
        if not self._slots.acquire(blocking=False):
            self._wait_for_slot()
        try:
            yield
        finally:
            self._slots.release()

    def _wait_for_slot(self) -> None:
        with self._lock:
            if self._queued >= self.waiting:
                raise busy("too many searches are waiting")
            self._queued += 1
        try:
            admitted = self._slots.acquire(timeout=self.wait_seconds)
        finally:
            with self._lock:
                self._queued -= 1
        if not admitted:
            raise busy(f"no search slot freed up within {self.wait_seconds:g} s")


def busy(reason: str) -> ApiError:
    return ApiError(
        503,
        "busy",
        f"the server is busy ({reason}); retry in {RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
