"""Running the app: a QApplication (or QCoreApplication when headless) on a qasync loop."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys

from desktop.app import CoreApp, Options
from desktop.config import configured_settings
from desktop.core.hooks.listener import ListenerStartError
from desktop.freedesktop import APP_ID
from desktop.paths import DataPaths, data_dir_flag, default_data_dir
from desktop.stop_signals import stop_on_signals
from desktop.store.problems import DatabaseProblemError, classify
from desktop.unexpected import UnexpectedErrors

log = logging.getLogger(__name__)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headless", action="store_true", help="no window and no tray")
    parser.add_argument("--tmux-socket", default=None, help="tmux server socket (as tmux -S)")
    parser.add_argument(
        "--minimized", action="store_true", help="start with the window hidden in the tray"
    )
    interval = configured_settings().poll_interval
    parser.add_argument(
        "--poll-interval", type=float, default=interval, help=f"seconds between polls ({interval})"
    )


async def serve_headless(core: CoreApp, stop: asyncio.Event) -> int:
    stop_on_signals(stop)
    try:
        await core.start()
    except ListenerStartError as e:
        # Headless, the listener is the whole point: say why and let a supervisor retry.
        log.error("%s", e)
        await core.stop()
        return 2
    await stop.wait()
    await core.stop()
    return 0


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        port=args.port,
        data_dir=args.data_dir or default_data_dir(),
        tmux_socket=args.tmux_socket,
        headless=args.headless,
        poll_interval=args.poll_interval,
        verbose=args.verbose,
        minimized=args.minimized,
        prices=configured_settings().prices,
    )


def open_core(
    options: Options,
    runner: asyncio.Runner,
    stop: asyncio.Event,
    errors: UnexpectedErrors | None = None,
) -> CoreApp | None:
    """The core, or None when its database cannot be used and the app must not start.

    Headless, the sentence goes to the log (exit 2, for a supervisor to see); with a window,
    the window shows it with a Repair button and the app starts once the repair worked.
    """
    while True:
        try:
            core = CoreApp(options, errors)
            core.load()
            return core
        except DatabaseProblemError as e:
            problem = e.problem
        except OSError as e:
            # The data dir itself (a read-only mount, a full disk) before SQLite saw it.
            found = classify(DataPaths(options.data_dir).database, e)
            if found is None:
                raise
            problem = found
        log.error("%s", problem.sentence(data_dir_flag(options.data_dir)))
        if options.headless:
            return None
        from desktop.repair import repair
        from desktop.store.problems import ProblemKind
        from desktop.ui.db_problem import offer_repair

        paths = DataPaths(options.data_dir)
        fixable = problem.kind is ProblemKind.DAMAGED
        sentence = problem.sentence(data_dir_flag(options.data_dir), button=fixable)

        def do_repair(paths: DataPaths = paths) -> str:
            return repair(paths).sentence(str(paths.database))

        if not runner.run(offer_repair(sentence, do_repair if fixable else None, stop)):
            return None


def run_app(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtCore import QCoreApplication

    from desktop.qt_loop import AppEventLoop

    options = options_from(args)
    qt_app: QCoreApplication
    if options.headless:
        qt_app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    else:
        from PySide6.QtWidgets import QApplication

        qt_app = QApplication.instance() or QApplication(sys.argv[:1])
        # Lets the desktop match the window to the launcher entry and its icon.
        QApplication.setDesktopFileName(APP_ID)
    qt_app.setApplicationName("claude-rpg")
    from desktop.ui.single_instance import SingleInstance, message_for_reply, raise_main_windows

    instance = SingleInstance(options.data_dir, headless=options.headless)
    if not instance.acquire():
        code, message = message_for_reply(instance.ask_running_to_raise(), options.data_dir)
        print(message, file=sys.stdout if code == 0 else sys.stderr)
        return code
    instance.raise_requested.connect(raise_main_windows)
    try:
        stop = asyncio.Event()
        with asyncio.Runner(loop_factory=lambda: AppEventLoop(qt_app)) as runner:
            # From here on an exception in a slot or a callback is logged, shown, survived.
            errors = UnexpectedErrors()
            errors.install(runner.get_loop())
            core = open_core(options, runner, stop, errors)
            if core is None:
                return 2
            # What exists now (the imported modules above all) lives as long as the app.
            # Frozen, it is out of the collector's walk: a full collection took about 45 ms,
            # a stall that held hook replies back by as much under load.
            gc.freeze()
            if options.headless:
                return runner.run(serve_headless(core, stop))
            from desktop.ui.shell import run_desktop

            return runner.run(run_desktop(core, stop))
    finally:
        instance.release()
