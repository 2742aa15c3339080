"""Run a loopback fake in a background thread, or in a child process, apart from the code it serves.

The bot under test often runs in another event loop than the test itself, so the fakes serve from a
thread of their own; benchmarks run them in a child process so the fake's work never shares the GIL
with what is measured. Both fakes share these runners.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Protocol, Self

from aiohttp import web

__all__ = ["Loopback", "serve_in_subprocess", "serve_in_thread"]


class _Server(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Loopback:
    """An aiohttp app on ``127.0.0.1`` at a free port; the fakes build the app and use the port."""

    _runner: web.AppRunner | None = None

    async def _listen(self, app: web.Application) -> int:
        """Serve ``app``; the port it listens on."""
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


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


@contextlib.contextmanager
def serve_in_subprocess(
    child: Callable[..., None], args: tuple[Any, ...], name: str
) -> Iterator[tuple[Any, Connection]]:
    """Start ``child(*args, conn)`` in a spawned process; yield what it sends first and the pipe.

    The child sends a handshake (its URLs) once serving, then answers commands until it receives
    ``"stop"``; on exit it is told to stop, given 10 s, then killed.
    """
    context = multiprocessing.get_context("spawn")
    parent, child_end = context.Pipe()
    process = context.Process(target=child, args=(*args, child_end), daemon=True)
    process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError(f"{name} did not start")
        yield parent.recv(), parent
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()
