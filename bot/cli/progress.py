"""A one-line progress bar on stderr for the CLI's CRM reads.

A HubSpot read of a large portal takes tens of seconds; a bar that counts deals tells the person at
the terminal that it is moving and roughly how long is left. It draws only on a terminal, so pipes
and cron logs stay clean, and it erases itself when done so stdout's report starts on a clean line.
"""

from __future__ import annotations

import time
from typing import TextIO

from engines import Progress

__all__ = ["ProgressBar"]

_WIDTH = 28


class ProgressBar:
    """Callable as an :data:`engines.ProgressCallback`; redraws at most every ``interval`` seconds."""

    def __init__(
        self, stream: TextIO, *, enabled: bool, label: str = "Reading CRM", interval: float = 0.1
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.label = label
        self.interval = interval
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        final = progress.fraction is not None and progress.fraction >= 1.0
        if not final and now - self._last < self.interval:
            return
        self._last = now
        self.stream.write("\r" + self.line(progress) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def line(self, progress: Progress) -> str:
        """The bar as text, e.g. ``Reading CRM [########......] 1,200/5,000 deals (deals)``."""
        fraction = progress.fraction
        if fraction is None:
            return f"{self.label} … {progress.deals_read:,} deals ({progress.phase})"
        filled = round(fraction * _WIDTH)
        bar = "#" * filled + "." * (_WIDTH - filled)
        total = progress.deals_total or 0
        return f"{self.label} [{bar}] {progress.deals_read:,}/{total:,} deals ({progress.phase})"

    def close(self) -> None:
        """Erase the bar so the report that follows starts on a clean line."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
