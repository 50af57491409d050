"""The app's one index, opened in a background thread so /healthz answers while the model loads."""

from __future__ import annotations

import logging
import threading

from indexer import GovsearchError, Index, IndexConfig
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

    def load(self, config: IndexConfig) -> None:
        """Open the index and warm the model and the vectors, so the first search is not the slow one."""
        try:
            index = Index(config)
            index.serve_concurrently()
            index.searcher()
            index.query_encoder.embed_query([WARM_UP_QUERY])
        except GovsearchError as error:
            logger.error("index not loaded: %s", error)
            self._failure = error
        else:
            self._index = index
            logger.info("index loaded from %s", config.index_dir)
        finally:
            self._finished.set()

    def load_in_background(self, config: IndexConfig) -> threading.Thread:
        thread = threading.Thread(
            target=self.load, args=(config,), name="govsearch-index-loader", daemon=True
        )
        thread.start()
        return thread

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
