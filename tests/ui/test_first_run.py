"""The first-run panel: shows the exact settings.json change, writes it only on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.core.hooks.command import command_for
from desktop.core.hooks.installer import HOOK_EVENTS, hooked_events, load_settings
from desktop.doctor import DoctorTarget, Level, check_hooks
from desktop.paths import DataPaths
from desktop.ui.first_run import TMUX_MISSING, FirstRunPanel
from tests.support.app_process import free_port

THEIRS = {"model": "opus", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "x"}]}]}}


@pytest.fixture
def settings_path(isolated_dirs: Path) -> Path:
    return isolated_dirs / "claude" / "settings.json"


def make_panel(qtbot: QtBot, tmp_path: Path, settings_path: Path, port: int = 0) -> FirstRunPanel:
    panel = FirstRunPanel(DataPaths(tmp_path / "data"), port or free_port(), settings_path)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_it_shows_the_exact_change_and_writes_nothing_yet(
    qtbot: QtBot, tmp_path: Path, settings_path: Path
) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text(json.dumps(THEIRS))
    panel = make_panel(qtbot, tmp_path, settings_path)
    assert panel.needed()
    diff = panel.diff_view.toPlainText()
    assert panel.diff_view.isVisible() and panel.install_button.isVisible()
    assert diff.startswith(f"--- {settings_path}")
    script = tmp_path / "data" / "bin" / "claude-rpg-hook"
    for event in HOOK_EVENTS:
        assert json.dumps(command_for(script, event))[1:-1] in diff
    assert "nothing is written until you press Install hooks" in panel.hooks_label.text()
    assert json.loads(settings_path.read_text()) == THEIRS
    assert not script.exists()


def test_install_writes_what_was_shown_and_keeps_the_rest(
    qtbot: QtBot, tmp_path: Path, settings_path: Path
) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text(json.dumps(THEIRS))
    port = free_port()
    panel = make_panel(qtbot, tmp_path, settings_path, port)
    shown = panel.change
    assert shown is not None
    with qtbot.waitSignal(panel.hooks_installed) as blocker:
        panel.install_button.click()
    assert blocker.args == [str(settings_path)]
    assert settings_path.read_text() == shown.after_text
    after = load_settings(settings_path)
    assert after["model"] == "opus"
    assert {"type": "command", "command": "x"} in after["hooks"]["Stop"][0]["hooks"]
    assert sorted(hooked_events(after)) == sorted(HOOK_EVENTS)
    assert json.loads(Path(f"{settings_path}.claude-rpg.bak").read_text()) == THEIRS
    assert "Hooks installed in" in panel.hooks_label.text()
    assert f"kept as {settings_path}.claude-rpg.bak" in panel.hooks_label.text()
    assert not panel.install_button.isVisible() and not panel.diff_view.isVisible()
    assert not panel.needed() or panel.tmux_label.isVisible()
    target = DoctorTarget(DataPaths(tmp_path / "data"), port, claude_settings=settings_path)
    assert check_hooks(target).level is Level.OK


def test_a_file_changed_after_it_was_shown_is_not_overwritten(
    qtbot: QtBot, tmp_path: Path, settings_path: Path
) -> None:
    panel = make_panel(qtbot, tmp_path, settings_path)
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text(json.dumps({"theme": "dark"}))
    panel.install_button.click()
    assert json.loads(settings_path.read_text()) == {"theme": "dark"}
    assert "changed in the meantime; nothing was written" in panel.hooks_label.text()
    assert '"theme": "dark"' in panel.diff_view.toPlainText()
    panel.install_button.click()
    assert load_settings(settings_path)["theme"] == "dark"
    assert sorted(hooked_events(load_settings(settings_path))) == sorted(HOOK_EVENTS)


def test_a_broken_settings_file_is_explained_and_left_alone(
    qtbot: QtBot, tmp_path: Path, settings_path: Path
) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text('{"hooks": [')
    panel = make_panel(qtbot, tmp_path, settings_path)
    assert panel.needed()
    assert panel.hooks_label.text().startswith("Hooks cannot be installed:")
    assert "is not valid JSON" in panel.hooks_label.text()
    assert not panel.install_button.isVisible()
    assert settings_path.read_text() == '{"hooks": ['


def test_installed_hooks_need_nothing(qtbot: QtBot, tmp_path: Path, settings_path: Path) -> None:
    first = make_panel(qtbot, tmp_path, settings_path)
    first.install_button.click()
    panel = make_panel(qtbot, tmp_path, settings_path)
    panel.set_tmux_problem(None)
    assert not panel.needed()
    assert panel.hooks_label.text().startswith("Hooks are installed in")
    assert not panel.tmux_label.isVisible()


def test_tmux_problems_are_shown_with_the_fix(
    qtbot: QtBot, tmp_path: Path, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = make_panel(qtbot, tmp_path, settings_path)
    no_server = "no tmux server is running (default socket): start tmux and run claude in it."
    panel.set_tmux_problem(no_server)
    assert panel.tmux_label.isVisible() and panel.tmux_label.text() == no_server
    panel.set_tmux_problem(None)
    assert not panel.tmux_label.isVisible()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    missing = make_panel(qtbot, tmp_path, settings_path)
    assert missing.tmux_label.isVisible() and missing.tmux_label.text() == TMUX_MISSING
    missing.set_tmux_problem(None)
    assert missing.tmux_label.text() == TMUX_MISSING
    assert missing.needed()


def test_arriving_hook_events_dismiss_the_offer(
    qtbot: QtBot, tmp_path: Path, settings_path: Path
) -> None:
    """Events prove Claude reports already (e.g. hooks in a project's settings)."""
    panel = make_panel(qtbot, tmp_path, settings_path)
    panel.set_tmux_problem(None)
    assert panel.needed()
    with qtbot.waitSignal(panel.dismissed):
        panel.events_arrived()
    assert not panel.needed()
    assert not settings_path.exists()  # nothing was written for it


def test_events_do_not_hide_a_tmux_problem(
    qtbot: QtBot, tmp_path: Path, settings_path: Path
) -> None:
    panel = make_panel(qtbot, tmp_path, settings_path)
    panel.set_tmux_problem("no tmux server is running (default socket): start tmux")
    with qtbot.assertNotEmitted(panel.dismissed):
        panel.events_arrived()
    assert panel.needed()
