"""The app's event loop: qasync's, except that a cancelled timer is gone at once."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QObject, QTimerEvent


@dataclass(frozen=True)
class _Delayed:
    """A delayed callback: its handle (for cancel()) and what to run, kept here so that
    running it needs none of asyncio.Handle's private parts."""

    handle: asyncio.TimerHandle
    callback: Callable[..., Any]
    args: tuple[Any, ...]
    context: contextvars.Context
    loop: asyncio.AbstractEventLoop

    def run(self) -> None:
        """Run the callback in its context; an exception goes to the loop's handler, as
        asyncio's own handles do, and the loop goes on."""
        try:
            self.context.run(self.callback, *self.args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self.loop.call_exception_handler(
                {
                    "message": f"Exception in callback {self.callback!r}",
                    "exception": exc,
                    "handle": self.handle,
                }
            )


class _Timers(QObject):
    """Runs delayed callbacks on Qt timers and kills a timer as soon as its handle is cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self._by_id: dict[int, _Delayed] = {}
        self._id_of: dict[int, int] = {}  # id(handle) -> Qt timer id

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, delayed: _Delayed, delay: float) -> None:
        timer_id = self.startTimer(int(max(0.0, delay) * 1000))
        self._by_id[timer_id] = delayed
        self._id_of[id(delayed.handle)] = timer_id

    def cancel(self, handle: asyncio.TimerHandle) -> None:
        timer_id = self._id_of.pop(id(handle), None)
        if timer_id is not None:
            self.killTimer(timer_id)
            del self._by_id[timer_id]

    def timerEvent(self, event: QTimerEvent) -> None:
        timer_id = event.timerId()
        self.killTimer(timer_id)
        delayed = self._by_id.pop(timer_id, None)
        if delayed is None:
            return
        del self._id_of[id(delayed.handle)]
        if not delayed.handle.cancelled():
            delayed.run()

    def stop(self) -> None:
        for timer_id in self._by_id:
            self.killTimer(timer_id)
        self._by_id.clear()
        self._id_of.clear()


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop for the whole app, with delayed callbacks that can really be cancelled.

    qasync runs every callback on a Qt timer and, when one is cancelled, only marks its
    handle: the timer and the handle stay until the delay is over. aiohttp arms a 75 s
    keep-alive timer for each connection and cancels it when the connection ends, so under
    a busy HTTP client tens of thousands of dead timers piled up (memory, and Qt's sorted
    timer list to insert into). Here a delayed callback gets a real asyncio.TimerHandle,
    whose cancel() kills its Qt timer at once. Callbacks due now (call_soon) stay qasync's.
    """

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._delayed = _Timers()

    def call_later(
        self,
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle | asyncio.Handle:
        if delay <= 0:
            return super().call_later(delay, callback, *args, context=context)  # type: ignore[no-any-return]
        if inspect.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with call_later")
        if context is None:
            context = contextvars.copy_context()
        handle = asyncio.TimerHandle(self.time() + delay, callback, args, self, context)
        self._delayed.add(_Delayed(handle, callback, args, context, self), delay)
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        # asyncio.TimerHandle.cancel() tells its loop: the Qt timer goes now, not at its time.
        self._delayed.cancel(handle)

    @property
    def pending_timers(self) -> int:
        """Delayed callbacks still waiting for their time (cancelled ones are not counted)."""
        return len(self._delayed)

    def close(self) -> None:
        self._delayed.stop()
        super().close()
