"""Render the window, a persona page and the leaderboard, light and dark, into docs/screenshots/.

Runs under its own Xvfb (so the xcb platform and real fonts are used) unless --platform
offscreen is given. `make screenshots` runs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop.core.model import PaneProject, PaneState, PersonaInfo, Status  # noqa: E402
from desktop.core.progression.levels import level_for_xp  # noqa: E402
from desktop.core.projects.gitstate import GitState  # noqa: E402
from desktop.core.projects.locate import project_id  # noqa: E402
from desktop.core.remote.heading import HostHeading  # noqa: E402
from desktop.core.usage.context import ContextUse, SessionInsight  # noqa: E402
from desktop.core.usage.prices import price_for  # noqa: E402
from desktop.core.usage.status_reader import PlanLimits, RateLimit  # noqa: E402
from desktop.core.usage.views import (  # noqa: E402
    PersonaUsage,
    SessionUsage,
    Tokens,
    UsageDay,
)
from tools.progression_samples import leaderboard, persona_page, sample_session_id  # noqa: E402
from tools.project_samples import replayed_projects  # noqa: E402

PAGE_PANE = "%4"  # the persona whose page is shown


def _persona(label: str, name: str, xp: int) -> PersonaInfo:
    seed = hashlib.sha256(label.encode()).hexdigest()
    level = level_for_xp(xp)
    return PersonaInfo(
        1 + int(seed[:4], 16), sample_session_id(label), name, seed, datetime.now(UTC), xp, level
    )


def _repo(root: Path, name: str, branch: str | None, **git: Any) -> tuple[str, PaneProject | None]:
    """A folder, and the project a scan would find there (git state as given)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    if branch is None:
        return str(folder), None
    state = GitState(branch=branch, upstream=f"origin/{branch}", **git)
    return str(folder), PaneProject(project_id(str(folder)), name, str(folder), str(folder), state)


def sample_panes(root: Path) -> list[PaneState]:
    """Six panes that show every card state, one of them still awaiting its identity."""
    now = datetime.now(UTC)

    def pane(
        n: int,
        where: tuple[str, PaneProject | None],
        status: Status,
        who: PersonaInfo | None,
        detail: str,
        event: str | None,
        age_s: int,
        alive: bool = True,
        context: tuple[str, int, int, bool] | None = None,  # model, used, window, compacting
    ) -> PaneState:
        insight = None
        if who is not None and context is not None:
            model, used, window, compacting = context
            insight = SessionInsight(
                who.session_id, model, ContextUse(used, window), compacting=compacting
            )
        return PaneState(
            pane_id=f"%{n}",
            target=f"work:{n}.0",
            cwd=where[0],
            project=where[1],
            status=status,
            status_detail=detail,
            status_since=now - timedelta(seconds=age_s),
            session_id=who.session_id if who else None,
            persona=who,
            last_event=event,
            alive=alive,
            insight=insight,
        )

    api = _repo(root, "api-server", "feature/login", dirty=True, changes=3, ahead=2)
    ui = _repo(root, "claude-rpg", "main", behind=1)
    docs = _repo(root, "handbook", None)
    return [
        pane(
            1,
            api,
            Status.WORKING,
            _persona("s1", "Brave Otter", 420),
            "Bash: pytest tests/test_login.py -q",
            "PreToolUse",
            48,
            context=("claude-opus-4-8", 348_000, 1_000_000, False),
        ),
        pane(2, ui, Status.UNKNOWN, None, "", None, 2),
        pane(
            3,
            ui,
            Status.NEEDS_INPUT,
            _persona("s3", "Clever Heron", 205),
            "permission: Bash: rm -rf build && make dist",
            "PermissionRequest",
            95,
            context=("claude-sonnet-4-5-20250929", 171_500, 200_000, False),
        ),
        pane(
            4,
            docs,
            Status.IDLE,
            _persona("s4", "Mighty Lynx", 1240),
            "Done: the tray menu now rebuilds when it opens.",
            "Stop",
            754,
            context=("claude-opus-4-8", 190_000, 200_000, True),
        ),
        pane(
            5,
            api,
            Status.ERROR,
            _persona("s5", "Quick Raven", 60),
            "rate_limit",
            "StopFailure",
            31,
            context=("claude-haiku-4-5", 16_000, 200_000, False),
        ),
        pane(
            6,
            docs,
            Status.ENDED,
            _persona("s6", "Patient Wren", 310),
            "Claude exited",
            "SessionEnd",
            12,
            alive=False,
        ),
    ]


# The hosts of sample_remote_panes, and one never reached (its host key changed).
SAMPLE_HOST_HEADINGS = [
    HostHeading(
        "build-box",
        "host key changed",
        "build-box: the host key of build-box.lan changed since you last connected; if that "
        "is expected, remove the old key with `ssh-keygen -R` and connect once by hand",
    ),
    HostHeading(
        "cloud-vm",
        "host unreachable since 14:05",
        "cloud-vm: cloud-vm.example does not answer ssh (ssh: connect to host cloud-vm.example "
        "port 22: Connection timed out)",
    ),
    HostHeading("devbox"),
]


def sample_remote_panes(panes: list[PaneState]) -> list[PaneState]:
    """Three panes on two other machines, one of which stopped answering."""
    devbox = [
        dataclasses.replace(
            panes[i],
            pane_id=f"devbox:%{i + 1}",
            host="devbox",
            persona=dataclasses.replace(who, host="devbox"),
            session_id=sid,
        )
        for i, who, sid in (
            (0, _persona("r1", "Golden Badger", 890), "r1"),
            (3, _persona("r4", "Nimble Ibis", 75), "r4"),
        )
    ]
    gone = dataclasses.replace(
        panes[0],
        pane_id="cloud-vm:%2",
        host="cloud-vm",
        persona=dataclasses.replace(_persona("r2", "Silent Koala", 330), host="cloud-vm"),
        session_id="r2",
        status=Status.UNKNOWN,
        status_detail="host unreachable since 14:05",
    )
    # A remote card names the host's project; the git state stays on the host.
    return [
        dataclasses.replace(p, project=dataclasses.replace(p.project, git=None))
        if p.project is not None
        else p
        for p in (*devbox, gone)
    ]


def free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :199")


def start_xvfb() -> subprocess.Popen[bytes]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("Xvfb is not installed: apt install xvfb (or pass --platform offscreen)")
    n = free_display()
    proc = subprocess.Popen(
        [xvfb, f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"Xvfb :{n} did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{n}"
    return proc


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1e1f24",
        QPalette.ColorRole.WindowText: "#e6e6ea",
        QPalette.ColorRole.Base: "#26282e",
        QPalette.ColorRole.AlternateBase: "#2c2e35",
        QPalette.ColorRole.Text: "#e6e6ea",
        QPalette.ColorRole.Button: "#2c2e35",
        QPalette.ColorRole.ButtonText: "#e6e6ea",
        QPalette.ColorRole.Highlight: "#7c6cf0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2c2e35",
        QPalette.ColorRole.ToolTipText: "#e6e6ea",
        QPalette.ColorRole.PlaceholderText: "#8a8d96",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    return p


def sample_usage(sessions: list[str], count: int) -> tuple[PersonaUsage, list[UsageDay]]:
    """Two weeks of made-up token use (busy weekdays, a quiet weekend), priced as the app does."""
    price = price_for("claude-opus-4-8")

    def tokens(scale: float) -> Tokens:
        figures = (
            int(9_000 * scale),
            int(60_000 * scale),
            int(4_200_000 * scale),
            int(150_000 * scale),
        )
        return Tokens(*figures, cost_usd=price.cost(*figures), replies=int(80 * scale))

    today = date.today()
    days = []
    for back in range(count - 1, -1, -1):
        day = today - timedelta(days=back)
        scale = 0.0 if day.weekday() >= 5 else 0.4 + ((day.day * 7) % 10) / 10
        days.append(UsageDay(day, tokens(scale), turns=int(40 * scale)))
    per_session = [
        SessionUsage(sid, ("claude-opus-4-8",), tokens(2.5 + i), Tokens())
        for i, sid in enumerate(sessions)
    ]
    total = tokens(2.5 * len(sessions) + sum(range(len(sessions))))
    side = tokens(0.3)
    usage = PersonaUsage(
        total,
        side,
        turns=212,
        subagents=3,
        models=("claude-opus-4-8",),
        sessions=tuple(per_session),
    )
    return usage, days


def render(out: Path, scale: float) -> list[Path]:
    os.environ["QT_SCALE_FACTOR"] = str(scale)
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from desktop.core.progression.views import LeaderboardEntry, PersonaPage
    from desktop.core.projects.service import ProjectService
    from desktop.core.projects.views import ProjectView, Report
    from desktop.ui.bridge import Bridge
    from desktop.ui.window import MainWindow

    class SampleBridge(Bridge):
        """A bridge that starts with the sample panes, one persona page and a leaderboard."""

        def __init__(self, panes: list[PaneState]) -> None:
            super().__init__()
            self._panes = panes
            self.headings: list[HostHeading] = []
            self.project_service: ProjectService | None = None
            personas = [p.persona for p in panes if p.persona is not None]
            self.board = leaderboard(personas, PersonaInfo) if personas else []
            self.pages = {
                p.persona.id: persona_page(p.persona, datetime.now(UTC))
                for p in panes
                if p.persona is not None and p.pane_id == PAGE_PANE
            }

        def panes(self) -> list[PaneState]:
            return self._panes

        def hosts(self) -> list[HostHeading]:
            return self.headings

        def persona_page(self, persona_id: int) -> PersonaPage | None:
            return self.pages.get(persona_id)

        def leaderboard(self, limit: int = 100) -> list[LeaderboardEntry]:
            return self.board[:limit]

        def remote_persona(self, host: str, session_id: str) -> PersonaInfo | None:
            keyed = {(p.host, p.persona.session_id): p.persona for p in self._panes if p.persona}
            return keyed.get((host, session_id))

        def plan_limits(self) -> PlanLimits | None:
            now = datetime.now(UTC)
            return PlanLimits(
                RateLimit(42.0, now + timedelta(hours=2, minutes=10)),
                RateLimit(91.0, now + timedelta(days=3)),
                now.timestamp(),
            )

        def persona_usage(
            self, persona_id: int, days: int = 14
        ) -> tuple[PersonaUsage, list[UsageDay]]:
            page = self.pages.get(persona_id)
            return sample_usage([link.session_id for link in page.sessions] if page else [], days)

        def projects(self) -> list[ProjectView]:
            return self.project_service.views() if self.project_service else []

        def project_view(self, project_id: str) -> ProjectView | None:
            return self.project_service.view(project_id) if self.project_service else None

        def report(self, days: int) -> Report | None:
            return self.project_service.report(days) if self.project_service else None

    def settle(rounds: int = 20) -> None:
        for _ in range(rounds):
            app.processEvents()
            time.sleep(0.02)

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        panes = sample_panes(Path(tmp))
        for theme, palette in (("light", QPalette()), ("dark", dark_palette())):
            app.setPalette(palette)  # type: ignore[arg-type]
            window = MainWindow(SampleBridge(panes))
            window.resize(1080, 640)
            window.show()
            window.grid.select("%3")
            settle()
            suffix = "" if scale == 1 else f"@{scale:g}x"
            path = out / f"window-{theme}{suffix}.png"
            window.grab().save(str(path))
            written.append(path)
            if scale == 1:
                written += render_progression(window, theme, out, settle)
            if scale == 1 and theme == "light":
                written += render_projects(window, out, settle)
                window.search.open()
                window.search.field.setText("api")
                settle()
                path = out / "window-search.png"
                window.grab().save(str(path))
                written.append(path)
                window.search.clear_and_close()
                remote_bridge = SampleBridge(panes + sample_remote_panes(panes))
                remote_bridge.headings = SAMPLE_HOST_HEADINGS
                remote = MainWindow(remote_bridge)
                remote.resize(1080, 1250)
                remote.show()
                settle()
                path = out / "window-remote-hosts.png"
                remote.grab().save(str(path))
                written.append(path)
                written += render_remote_personas(remote, out, settle)
                remote.hide_on_close = False
                remote.close()
                remote.deleteLater()
            window.hide_on_close = False
            window.close()
            window.deleteLater()
        empty = MainWindow(SampleBridge([]))
        app.setPalette(QPalette())
        empty.resize(900, 520)
        empty.show()
        for _ in range(10):
            app.processEvents()
            time.sleep(0.02)
        if scale == 1:
            path = out / "window-empty.png"
            empty.grab().save(str(path))
            written.append(path)
    return written


def render_progression(window: Any, theme: str, out: Path, settle: Any) -> list[Path]:
    """The persona page of PAGE_PANE's persona, whole, and the leaderboard."""
    suffix = "" if theme == "light" else "-dark"
    card = window.grid.card_for(PAGE_PANE)
    page = window.open_persona_page(card.pane.persona.id)
    page.resize(780, 900)
    settle()
    # Tall enough for the whole page: the screenshot shows every section, unscrolled.
    page.resize(780, page.view.sizeHint().height())
    settle()
    page_path = out / f"persona-page{suffix}.png"
    page.grab().save(str(page_path))
    page.close()
    board_path = out / f"leaderboard{suffix}.png"
    grab_leaderboard(window, board_path, settle)
    return [page_path, board_path]


def grab_leaderboard(window: Any, path: Path, settle: Any) -> None:
    """The leaderboard, as tall as its rows, into `path`."""
    board = window.show_leaderboard()
    board.resize(600, 300)
    settle()
    # As tall as its rows: the frame around the list, plus the list itself.
    chrome = board.height() - board.scroll_area.height()
    board.resize(600, chrome + board.list.sizeHint().height())
    settle()
    board.grab().save(str(path))
    board.close()


def render_remote_personas(window: Any, out: Path, settle: Any) -> list[Path]:
    """The leaderboard with the hosts' personas, and a remote persona's page."""
    board_path = out / "leaderboard-remote.png"
    grab_leaderboard(window, board_path, settle)
    card = window.grid.card_for("devbox:%1")
    page = window.open_remote_persona_page("devbox", card.pane.persona.session_id)
    page.resize(780, 420)
    settle()
    page.resize(780, page.view.sizeHint().height())
    settle()
    page_path = out / "persona-page-remote.png"
    page.grab().save(str(page_path))
    page.close()
    return [board_path, page_path]


def render_projects(window: Any, out: Path, settle: Any) -> list[Path]:
    """The Projects list, the api-server page and the Today view, from the recorded events."""
    # A fixed folder: the pages show its path, and the screenshots stay the same run to run.
    samples = Path(tempfile.gettempdir()) / "claude-rpg-samples"
    shutil.rmtree(samples, ignore_errors=True)
    samples.mkdir()
    service, db = replayed_projects(samples)
    window.bridge.project_service = service
    written = []
    projects = window.show_projects()
    projects.resize(620, 300)
    settle()
    written.append(out / "projects.png")
    projects.grab().save(str(written[-1]))
    projects.close()
    api = next(v for v in service.views() if v.name == "api-server")
    page = window.open_project_page(api.id)
    page.resize(780, 900)
    settle()
    page.resize(780, page.content.sizeHint().height())
    settle()
    written.append(out / "project-page.png")
    page.grab().save(str(written[-1]))
    page.close()
    today = window.show_today()
    today.resize(1180, 760)
    settle()
    written.append(out / "today.png")
    today.grab().save(str(written[-1]))
    today.close()
    db.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--platform", choices=("xvfb", "offscreen"), default="xvfb")
    parser.add_argument("--scale", type=float, default=1.0, help="QT_SCALE_FACTOR (2 for HiDPI)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    xvfb = None
    if args.platform == "xvfb":
        xvfb = start_xvfb()
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    else:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        for path in render(args.out, args.scale):
            print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
