"""Keeps the app's index current: opened at startup, opened again whenever another process replaced it.

Docker runs the server before `govsearch index` has built anything in the shared volume, and an index may
be rebuilt or swapped while the server runs; a thread looks every few seconds (a directory listing; the
index is opened only when it changed) so neither needs a restart.
"""

from __future__ import annotations

import logging
import threading

from indexer import IndexConfig, LatestIndex
from service.state import IndexHolder

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0


def watch(holder: IndexHolder, config: IndexConfig, poll_seconds: float = POLL_SECONDS) -> threading.Event:
    """Load into `holder` now and after every change, in a thread that ends when the returned event is set."""
    latest = LatestIndex(config)
    stop = threading.Event()

    def load() -> None:
        try:
            holder.load(latest)
        except Exception:  # an unexpected failure must not end the watching: the next change may fix it
            logger.exception("index not loaded")

    def run() -> None:
        load()
        while not stop.wait(poll_seconds):
            if latest.changed(holder.current):
                load()

    threading.Thread(target=run, name="govsearch-index-watcher", daemon=True).start()
    return stop
