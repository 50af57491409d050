"""Progress of long work: a bar on a terminal, periodic lines (count, rate, ETA) when output goes to a log."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

# How often a log gets a progress line: often enough to see a run is alive, rarely enough to stay short.
LOG_EVERY_SECONDS = 15.0


class Progress:
    """Call with (done, total) as work advances; use as a context manager."""

    def __init__(self, label: str, unit: str, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr  # looked up now, so a redirected stderr is the one written to
        self.label, self.unit, self.stream = label, unit, stream
        self._bar = tqdm(total=0, unit=unit, desc=label, file=stream) if stream.isatty() else None
        self._started = time.monotonic()
        self._logged = self._started

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.update(done - self._bar.n)
            return
        now = time.monotonic()
        if done < total and now - self._logged < LOG_EVERY_SECONDS:
            return
        self._logged = now
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        eta = f", about {(total - done) / rate:.0f} s left" if rate and done < total else ""
        percent = 100 * done / total if total else 100.0
        print(
            f"{self.label}: {done}/{total} {self.unit}s ({percent:.0f}%), {rate:.1f}/s{eta}",
            file=self.stream,
            flush=True,
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.close()
