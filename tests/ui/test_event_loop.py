"""The app's event loop: delayed callbacks run at their time, and a cancelled one is gone."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from desktop.qt_loop import AppEventLoop
from tests.support.app_process import free_port
from tests.support.waiting import until


def run(qapp: QApplication, scenario: Callable[[AppEventLoop], Any]) -> Any:
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(qapp)) as runner:
        loop = runner.get_loop()
        assert isinstance(loop, AppEventLoop)
        return runner.run(scenario(loop))


def test_delayed_callbacks_run_in_time_order_and_cancelled_ones_never(qapp: QApplication) -> None:
    async def scenario(loop: AppEventLoop) -> list[str]:
        ran: list[str] = []
        start = time.monotonic()
        loop.call_later(0.10, ran.append, "b")
        loop.call_at(loop.time() + 0.05, ran.append, "a")
        doomed = loop.call_later(0.02, ran.append, "cancelled")
        loop.call_soon(ran.append, "now")
        assert loop.pending_timers == 3
        doomed.cancel()
        assert loop.pending_timers == 2  # gone at once, not when its 20 ms are up
        await until(lambda: "b" in ran, "the 100 ms callback")
        assert time.monotonic() - start >= 0.10
        assert loop.pending_timers == 0
        return ran

    assert run(qapp, scenario) == ["now", "a", "b"]


def test_wait_for_and_sleep_leave_no_timer_behind(qapp: QApplication) -> None:
    async def scenario(loop: AppEventLoop) -> int:
        for _ in range(50):
            # A timeout that is never reached: its timer is cancelled when the wait ends.
            await asyncio.wait_for(asyncio.sleep(0), timeout=60)
        return loop.pending_timers

    assert run(qapp, scenario) == 0


def test_a_connection_per_request_leaves_no_keepalive_timers(qapp: QApplication) -> None:
    """aiohttp arms a 75 s keep-alive timer per connection and cancels it when the connection
    closes: those timers must not pile up while a busy client keeps connecting."""

    async def scenario(loop: AppEventLoop) -> tuple[int, int]:
        async def hello(_request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        before = loop.pending_timers
        try:
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(connector=connector) as http:
                for _ in range(200):
                    async with http.get(f"http://127.0.0.1:{port}/") as reply:
                        assert await reply.text() == "ok"
            # The last connections finish closing (and cancel their timers) a few loop
            # turns after the session is closed.
            await until(lambda: loop.pending_timers - before < 10, "the keep-alive timers gone")
            return before, loop.pending_timers
        finally:
            await runner.cleanup()

    before, after = run(qapp, scenario)
    assert after - before < 10, (before, after)  # 200 connections, not 200 dead timers


def test_callbacks_due_now_run_in_order_and_what_they_queue_runs_after(
    qapp: QApplication,
) -> None:
    async def scenario(loop: AppEventLoop) -> list[str]:
        ran: list[str] = []

        def first() -> None:
            ran.append("first")
            loop.call_soon(ran.append, "queued by first")

        loop.call_soon(first)
        skipped = loop.call_soon(ran.append, "cancelled")
        loop.call_soon(ran.append, "second")
        skipped.cancel()
        await until(lambda: "queued by first" in ran, "the callback queued by first")
        return ran

    assert run(qapp, scenario) == ["first", "second", "queued by first"]


def test_callbacks_queued_behind_a_modal_loop_run_while_it_is_open(qapp: QApplication) -> None:
    """A modal dialog spins a nested Qt loop from inside a callback: the callbacks queued
    behind it run inside that loop (the listener keeps answering), each exactly once."""

    async def scenario(loop: AppEventLoop) -> list[int]:
        ran: list[int] = []

        def modal() -> None:
            nested = QEventLoop()
            QTimer.singleShot(30, nested.quit)
            nested.exec()
            ran.append(-1)

        loop.call_soon(modal)
        for n in range(5):
            loop.call_soon(ran.append, n)
        await until(lambda: -1 in ran, "the modal loop's end")
        # Anything still queued behind the modal callback runs before this one.
        after = loop.create_future()
        loop.call_soon(after.set_result, None)
        await after
        return ran

    assert run(qapp, scenario) == [0, 1, 2, 3, 4, -1]


def test_delayed_callbacks_need_no_private_or_deprecated_asyncio_calls(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TimerHandle._run is private (it may change in any Python) and
    asyncio.iscoroutinefunction warns from 3.14 on (an error here): the loop schedules and
    runs delayed callbacks without either, in the context they were scheduled from, and
    hands their exceptions to the loop's handler. (qasync's own call_soon still uses both;
    only the delayed path is the app's.)"""

    def gone(*_args: object) -> None:
        raise AssertionError("called a private or deprecated asyncio function")

    monkeypatch.setattr(asyncio.TimerHandle, "_run", gone)
    where = contextvars.ContextVar("where", default="outside")

    async def scenario(loop: AppEventLoop) -> tuple[list[str], list[str]]:
        ran: list[str] = []
        errors: list[str] = []
        loop.set_exception_handler(lambda _loop, ctx: errors.append(str(ctx["exception"])))

        def boom() -> None:
            raise ValueError("boom")

        where.set("scheduler")
        with monkeypatch.context() as patched:
            patched.setattr(asyncio, "iscoroutinefunction", gone)
            loop.call_later(0.01, boom)
            loop.call_later(0.02, lambda: ran.append(where.get()))
            with pytest.raises(TypeError):
                loop.call_later(0.01, scenario)  # a coroutine function is refused, as asyncio does
        await until(lambda: ran, "the delayed callback")
        return ran, errors

    assert run(qapp, scenario) == (["scheduler"], ["boom"])
