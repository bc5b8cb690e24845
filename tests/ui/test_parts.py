"""The pieces a card is drawn from: avatars, icons, project text, XP, theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop.core.model import PaneState, Status
from desktop.core.progression.levels import xp_for_level
from desktop.core.projects.scan import ScanState
from desktop.core.projects.tracker import pane_project
from desktop.ui.avatar import avatar_pixmap, sprite_cells
from desktop.ui.resources import MissingResourceError, svg_icon, svg_pixmap, svg_source
from desktop.ui.text import elapsed_text, project_text, project_tip
from desktop.ui.theme import STATUS_STYLES, is_dark
from desktop.ui.tray import Overall
from desktop.ui.xp import level_progress
from tests.support.git_repos import add_worktree, make_repo
from tests.ui.fakes import persona


def _bytes(seed: str, size: int, dpr: float) -> bytes:
    image = avatar_pixmap(seed, size, dpr).toImage()
    return bytes(image.constBits())


def test_avatars_are_deterministic_per_seed_and_differ_between_seeds(qapp: QApplication) -> None:
    a1 = _bytes("seed-a", 48, 1.0)
    assert a1 == _bytes("seed-a", 48, 1.0)
    assert sprite_cells("seed-a") == sprite_cells("seed-a")
    others = {_bytes(f"seed-{i}", 48, 1.0) for i in range(20)}
    assert len(others) == 20


def test_avatars_are_drawn_at_device_resolution(qapp: QApplication) -> None:
    pixmap = avatar_pixmap("seed", 48, 2.0)
    assert pixmap.width() == 96 and pixmap.devicePixelRatio() == 2.0


def test_every_status_and_tray_state_has_its_own_svg_shape(qapp: QApplication) -> None:
    names = [s.icon for s in STATUS_STYLES.values()] + [f"tray-{o.value}" for o in Overall]
    sources = [svg_source(n) for n in names]
    assert len(set(sources)) == len(names)  # shapes differ, not just colours
    for name in names:
        assert not svg_pixmap(name, 24, 2.0, QColor("#123456")).isNull()
        assert not svg_icon(name).isNull()
    assert len({s.word for s in STATUS_STYLES.values()}) == len(Status)


def test_a_missing_icon_says_where_it_looked() -> None:
    with pytest.raises(MissingResourceError, match=r"no-such-icon\.svg is missing"):
        svg_source("no-such-icon")


def test_project_text_names_the_project_branch_and_git_marker(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "api-server", branch="feature/login")
    tree = add_worktree(repo, tmp_path / "api-hotfix", "hotfix")
    (tmp_path / "notes").mkdir()
    scan = ScanState()
    folders = [str(repo), str(tree), str(tmp_path / "notes"), str(tmp_path / "gone")]
    found = scan.scan(folders)

    def shown(folder: str) -> PaneState:
        return PaneState("%1", "w:1.0", folder, project=pane_project(found[folder]))

    assert project_text(shown(str(repo))) == "api-server · feature/login"
    assert project_text(shown(str(tree))) == "api-server (api-hotfix) · hotfix"
    assert project_text(shown(str(tmp_path / "notes"))) == "notes · no project"
    gone = shown(str(tmp_path / "gone"))
    assert project_text(gone) == "gone · gone"
    assert f"the folder {tmp_path / 'gone'} is gone" in project_tip(gone)
    (repo / "new.txt").write_text("x\n")
    found = scan.scan(folders)
    dirty = shown(str(repo))
    assert project_text(dirty) == "api-server · feature/login ●"
    assert "1 changed or untracked files" in project_tip(dirty)
    assert "not in a git repository" in project_tip(shown(str(tmp_path / "notes")))


def test_elapsed_text() -> None:
    assert [elapsed_text(s) for s in (0, 59, 61, 3599, 3600 * 2 + 13 * 60, 86400 * 3 + 3600)] == [
        "0s",
        "59s",
        "1m 01s",
        "59m 59s",
        "2h 13m",
        "3d 1h",
    ]


def test_xp_bar_uses_the_progression_curve() -> None:
    for level, xp in ((1, 0), (2, 70), (3, 200), (5, 999)):
        gained, span = level_progress(persona("s", "A", xp=xp, level=level))
        assert span == xp_for_level(level + 1) - xp_for_level(level)
        assert gained == min(span, max(0, xp - xp_for_level(level)))
    assert level_progress(persona("s", "A", xp=0, level=3))[0] == 0  # never negative


def test_dark_palette_is_detected(qapp: QApplication) -> None:
    light = QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#f0f0f0"))
    light.setColor(QPalette.ColorRole.WindowText, QColor("#111111"))
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#1e1f24"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6ea"))
    assert not is_dark(light) and is_dark(dark)
    style = STATUS_STYLES[Status.WORKING]
    assert style.color(light) != style.color(dark)
