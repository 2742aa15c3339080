"""Run a loopback fake in a background thread with its own event loop.

The bot under test often runs in another event loop (or process) than the test itself, so the fakes
must be able to serve from a thread of their own. Both fakes share this one runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Protocol

__all__ = ["serve_in_thread"]


class _Server(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@contextlib.contextmanager
def serve_in_thread(server: _Server, name: str) -> Iterator[None]:
    """Start ``server`` in a daemon thread; stop it and join the thread on exit."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, name=name, daemon=True)
    thread.start()
    if not ready.wait(10) or failure:
        raise RuntimeError(f"{name} did not start") from (failure[0] if failure else None)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
