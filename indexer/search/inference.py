"""Query vectors for concurrent searches: one thread owns the model, queries arrive in micro-batches.

Sixteen request threads each calling the model oversubscribe two cores (every call starts its own
intra-op threads) and grow resident memory with every thread that touched it. Here request threads only
queue their queries; one inference thread takes whatever has queued while the previous call ran and
hands it to the model at once, so a burst never has sixteen calls racing for the cores. (A float graph
embeds such a batch in one run; the int8 graph runs each query alone, as its vectors would depend on the
batch: docs/benchmarks.md measures why an exact batched variant does not pay.) Vectors of recent queries
are kept (writers repeat and refine queries), so a repeated query needs no model at all.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

from indexer.search.searcher import QueryEncoder

# Queries embedded in one call at most: larger batches add latency to the first query in them.
MAX_BATCH = 32


def ready(vector: np.ndarray) -> Future[np.ndarray]:
    """A vector already at hand (from the cache), as a finished Future."""
    future: Future[np.ndarray] = Future()
    future.set_result(vector)
    return future


class QueryVectorCache:
    """The vectors of the most recently used queries (least recently used dropped first); thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def __len__(self) -> int:
        return len(self._vectors)


class InferenceExecutor:
    """Query vectors for the searcher, embedded on its own thread (queries that wait batched), cached."""

    def __init__(self, model: Callable[[], QueryEncoder], cache_size: int) -> None:
        self._model = model  # called on the inference thread: the model loads and runs there only
        self.cache = QueryVectorCache(cache_size)
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        # Queries queued or being embedded: a second caller asking for one waits on the same result.
        self._pending: dict[str, Future[np.ndarray]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the queries, one row each, from the cache or the inference thread."""
        futures = [self.submit(text) for text in texts]
        return np.stack([future.result() for future in futures])

    def submit(self, text: str) -> Future[np.ndarray]:
        """The query's unit vector: done at once from the cache, else once the inference thread has it."""
        cached = self.cache.get(text)
        return self._submit(text) if cached is None else ready(cached)

    def _submit(self, text: str) -> Future[np.ndarray]:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="govsearch-inference", daemon=True)
                self._thread.start()
            future = self._pending.get(text)
            if future is None:
                cached = self.cache.get(text)  # embedded since the caller looked
                if cached is not None:
                    return ready(cached)
                future = self._pending[text] = Future()
                self._queue.put((text, future))
            return future

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._embed(batch)

    def _embed(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        """One model call for the batch (its texts are distinct); a failure reaches every caller in it."""
        texts = [text for text, _ in batch]
        try:
            # Copies, not views: a cached row would keep its whole batch's array alive.
            vectors = [vector.copy() for vector in self._model().embed_query(texts)]
        except Exception as error:  # not swallowed: every waiting caller raises it
            failure = error  # the name `error` is unbound once the except clause ends
            self._finish(batch, lambda future, _: future.set_exception(failure))
            return
        for text, vector in zip(texts, vectors, strict=True):
            self.cache.put(text, vector)  # before the text leaves `_pending`, so no caller misses both
        results = dict(zip(texts, vectors, strict=True))
        self._finish(batch, lambda future, text: future.set_result(results[text]))

    def _finish(
        self, batch: list[tuple[str, Future[np.ndarray]]], settle: Callable[[Future[np.ndarray], str], None]
    ) -> None:
        with self._lock:
            for text, _ in batch:
                del self._pending[text]
        for text, future in batch:
            settle(future, text)
