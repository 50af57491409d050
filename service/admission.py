"""Load shedding for searches: a few run at once, a few more wait briefly, the rest hear "busy" at once.

Two cores answer a fixed number of searches a second; a server that queues everything beyond that makes
every request late and grows without bound. Admitted searches keep their latency because the queue in
front of them is short (and its wait is capped); a refused one gets 503 with Retry-After in microseconds,
which a client or a load balancer can act on.

Admission is an ASGI middleware in front of the search routes, on the event loop: decided in a route
dependency, a request would first be routed, parsed and validated (work the loop does for every refused
request too), and a sync dependency would first wait, unseen and unbounded, for a threadpool worker.
"""

from __future__ import annotations

from collections.abc import Collection

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import ApiError, error_response

# Seconds a refused client is asked to wait before retrying.
RETRY_AFTER_SECONDS = 1


class Admission:
    """At most `running` searches at once; at most `waiting` more wait, each for at most `wait_seconds`.

    Used from the event loop only (one thread), so the count of waiting searches needs no lock."""

    def __init__(self, running: int, waiting: int, wait_seconds: float) -> None:
        self.waiting = waiting
        self.wait_seconds = wait_seconds
        self._slots = anyio.Semaphore(running, max_value=running)
        self._queued = 0

    async def acquire(self) -> None:
        """Take one of the running slots (give it back with `release`); ApiError 503 when none frees up
        in time."""
        try:
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            await self._wait_for_slot()

    def release(self) -> None:
        self._slots.release()

    async def _wait_for_slot(self) -> None:
        if self._queued >= self.waiting:
            raise busy("too many searches are waiting")
        self._queued += 1
        try:
            with anyio.move_on_after(self.wait_seconds) as waited:
                await self._slots.acquire()
        finally:
            self._queued -= 1
        if waited.cancelled_caught:
            raise busy(f"no search slot freed up within {self.wait_seconds:g} s")


def busy(reason: str) -> ApiError:
    return ApiError(
        503,
        "busy",
        f"the server is busy ({reason}); retry in {RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class AdmissionMiddleware:
    """Requests for `paths` hold a running slot from before routing until their response is sent; those
    refused get the one error body with 503 and Retry-After. Other paths pass through."""

    def __init__(self, app: ASGIApp, admission: Admission, paths: Collection[str]) -> None:
        self.app = app
        self.admission = admission
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        try:
            await self.admission.acquire()
        except ApiError as refused:
            response = error_response(refused.status, refused.code, refused.message, headers=refused.headers)
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.release()
