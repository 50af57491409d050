"""The app's one index, opened in a background thread (service/reload.py) so /healthz answers meanwhile."""

from __future__ import annotations

import logging
import threading

from indexer import GovsearchError, Index, LatestIndex, SearchOptions
from service.errors import ApiError

logger = logging.getLogger(__name__)

WARM_UP_QUERY = "政府工作报告"


class IndexHolder:
    """Holds the index once loaded, or why it could not be."""

    def __init__(self, index: Index | None = None) -> None:
        self._index = index
        self._failure: GovsearchError | None = None
        self._finished = threading.Event()
        if index is not None:
            self._finished.set()

    def load(self, latest: LatestIndex) -> None:
        """Open the index (its vectors loaded) and run one search, so the first user's search is not the
        slow one: the model, the tokenizer's dictionary (seconds to load) and the stores all warm up.

        On success the new index is served; on failure none is (a deleted index must not answer) and the
        reason is kept for the 503."""
        try:
            index = latest.open()
            index.search(WARM_UP_QUERY, SearchOptions())
        except GovsearchError as error:
            if self._failure is None or self._failure.args != error.args:
                logger.error("index not loaded: %s", error)
            # A fresh copy without the traceback, whose frames would keep the failed index's files open.
            self._failure = type(error)(*error.args)
            self._index = None
        else:
            self._failure = None
            self._index = index
            logger.info(
                "index loaded from %s (generation %s)", index.config.index_dir, index.catalog.generation()
            )
        finally:
            self._finished.set()

    @property
    def current(self) -> Index | None:
        return self._index

    @property
    def ready(self) -> bool:
        return self._index is not None

    def get(self) -> Index:
        """The index, or the reason there is none (503 in every case)."""
        if self._index is not None:
            return self._index
        if self._failure is not None:
            # A fresh exception each time: re-raising one instance would grow its traceback forever.
            raise type(self._failure)(*self._failure.args)
        if self._finished.is_set():
            raise ApiError(503, "index_unavailable", "the index failed to load; the server log says why")
        raise ApiError(503, "index_loading", "the index is still loading; retry in a few seconds")
