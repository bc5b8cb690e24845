"""A pytest plugin: a test that drives the real Claude CLI fails when it hangs, never waits forever.

Every test marked `e2e` (it runs the real CLI, a private tmux and the fake API: any of them can
stall) gets a time limit, HANG_LIMIT_S unless it says `@pytest.mark.hang_limit(seconds)`. At the
limit every thread's stack is written to stderr and the test fails with a sentence. Should the
main thread be stuck where Python cannot interrupt it (inside a C call that never returns),
faulthandler ends the whole run a little later, after printing the stacks: a failed run, not
a hung one.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
from collections.abc import Iterator
from types import FrameType

import pytest

HANG_LIMIT_S = 600
# How long after the limit the whole run is ended, if the test could not be failed.
LAST_RESORT_AFTER_S = 60


class HangError(AssertionError):
    """A test ran past its time limit; the message says which limit."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: runs the real Claude Code CLI in a private tmux server"
    )
    config.addinivalue_line(
        "markers", "hang_limit(seconds): the time an e2e test may take before it fails"
    )


def limit_for(item: pytest.Item) -> int | None:
    """The test's time limit in seconds, or None when it is not guarded."""
    if item.get_closest_marker("e2e") is None:
        return None
    marker = item.get_closest_marker("hang_limit")
    return int(marker.args[0]) if marker is not None else HANG_LIMIT_S


@pytest.fixture(autouse=True)
def hang_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test (after dumping every thread's stack) when it outlives its limit."""
    limit = limit_for(request.node)
    if limit is None:
        yield
        return

    def expired(_signum: int, _frame: FrameType | None) -> None:
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        raise HangError(
            f"{request.node.nodeid} ran longer than {limit} s and was stopped (the stack of "
            "every thread is on stderr); a wait without a timeout is the usual cause"
        )

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(limit)
    faulthandler.dump_traceback_later(limit + LAST_RESORT_AFTER_S, exit=True)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()
