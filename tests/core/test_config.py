"""Settings: TOML round trip, validation with sentences, change notification, CLI defaults."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.__main__ import build_parser
from desktop.config import (
    NOTIFICATION_KINDS,
    ConfigError,
    Settings,
    SettingsStore,
    default_config_file,
    from_toml,
    load_settings,
    load_settings_or_defaults,
    save_settings,
    to_toml,
)

CHANGED = Settings(
    port=4999,
    poll_interval=2.5,
    notify_needs_input=False,
    notify_finished=True,
    notify_failed=False,
    sound=True,
    autostart=True,
)


def test_the_file_lives_in_the_xdg_config_dir(isolated_dirs: Path) -> None:
    assert default_config_file() == isolated_dirs / "config" / "claude-rpg" / "settings.toml"


def test_defaults_when_there_is_no_file_and_loading_creates_nothing(isolated_dirs: Path) -> None:
    assert load_settings() == Settings()
    assert not (isolated_dirs / "config" / "claude-rpg").exists()


def test_round_trip_through_the_file(isolated_dirs: Path) -> None:
    path = save_settings(CHANGED)
    assert path == default_config_file()
    assert load_settings() == CHANGED
    text = path.read_text()
    assert "[notifications]" in text and "port = 4999" in text


def test_hand_edits_keep_defaults_for_missing_keys_and_accept_whole_seconds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[tmux]\npoll_interval = 3\n[notifications]\nsound = true\n[extra]\nx = 1\n")
    loaded = load_settings(path)
    assert loaded == replace(Settings(), poll_interval=3.0, sound=True)
    assert isinstance(loaded.poll_interval, float)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[listener]\nport = 80\n", "port 80 is outside 1024-65535"),
        ('[listener]\nport = "x"\n', "port must be a whole number"),
        ("[tmux]\npoll_interval = 0\n", "poll interval 0.0 s is outside"),
        ("[tmux]\npoll_interval = nan\n", "poll interval nan s is outside"),
        ('[notifications]\nsound = "yes"\n', "sound must be true or false"),
        ("listener = 3\n", "[listener] in"),
        ("port = = 1\n", "is not valid TOML"),
    ],
)
def test_broken_files_are_refused_with_a_sentence_naming_the_file(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_settings(path)
    assert words in str(e.value)
    assert str(path) in str(e.value)


def test_a_broken_file_falls_back_to_defaults_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[listener]\nport = 1\n")
    with caplog.at_level(logging.WARNING):
        assert load_settings_or_defaults(path) == Settings()
    assert "using the default settings" in caplog.text


def test_saving_an_invalid_value_writes_nothing(isolated_dirs: Path) -> None:
    with pytest.raises(ConfigError):
        save_settings(replace(Settings(), port=70000))
    assert not default_config_file().exists()


def test_each_notification_kind_has_its_own_switch() -> None:
    for kind in NOTIFICATION_KINDS:
        assert Settings().notification_enabled(kind)
        off = replace(Settings(), **{f"notify_{kind}": False})
        assert not off.notification_enabled(kind)
        assert all(off.notification_enabled(k) for k in NOTIFICATION_KINDS if k != kind)
    with pytest.raises(KeyError):
        Settings().notification_enabled("nope")


def test_the_store_saves_then_tells_listeners_old_and_new(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    store = SettingsStore(path)
    heard: list[tuple[Settings, Settings]] = []
    unsubscribe = store.subscribe(lambda old, new: heard.append((old, new)))
    assert store.change(sound=True)
    assert heard == [(Settings(), replace(Settings(), sound=True))]
    assert load_settings(path).sound
    assert not store.change(sound=True)  # unchanged: no write, no notification
    assert len(heard) == 1
    unsubscribe()
    store.change(sound=False)
    assert len(heard) == 1
    assert SettingsStore(path).current == Settings()


def test_a_failing_listener_does_not_silence_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SettingsStore(tmp_path / "settings.toml")
    heard: list[Settings] = []

    def broken(_old: Settings, _new: Settings) -> None:
        raise RuntimeError("boom")

    store.subscribe(broken)
    store.subscribe(lambda _old, new: heard.append(new))
    with caplog.at_level(logging.ERROR):
        store.change(port=5001)
    assert heard == [replace(Settings(), port=5001)]
    assert "a settings listener failed" in caplog.text


def test_an_invalid_update_leaves_the_store_and_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    store = SettingsStore(path)
    with pytest.raises(ConfigError):
        store.change(poll_interval=-1.0)
    assert store.current == Settings()
    assert not path.exists()


def test_command_line_defaults_come_from_the_settings_and_flags_win(isolated_dirs: Path) -> None:
    assert build_parser().parse_args([]).port == Settings().port
    save_settings(CHANGED)
    args = build_parser().parse_args([])
    assert (args.port, args.poll_interval) == (CHANGED.port, CHANGED.poll_interval)
    args = build_parser().parse_args(["--port", "5123", "--poll-interval", "0.5"])
    assert (args.port, args.poll_interval) == (5123, 0.5)


def test_importing_the_modules_creates_no_file(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env.pop(var, None)
    code = "import desktop.config, desktop.logs, desktop.freedesktop, desktop.__main__"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(
    port=st.integers(1024, 65535),
    interval=st.floats(0.2, 60.0, allow_nan=False),
    flags=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_any_valid_settings_survive_the_toml_round_trip(
    port: int, interval: float, flags: list[bool]
) -> None:
    original = Settings(port, interval, *flags)
    assert from_toml(to_toml(original)) == original


@pytest.mark.parametrize("bad", [0, -5, 2_000_000, 1.5, True, "100"])
def test_a_spool_cap_that_cannot_work_is_refused(bad: object) -> None:
    with pytest.raises(ConfigError, match="spool cap"):
        from_toml(f"[spool]\ncap_mb = {json.dumps(bad)}\n")


def test_the_spool_cap_round_trips_through_toml() -> None:
    assert from_toml(to_toml(Settings(spool_cap_mb=250))).spool_cap_mb == 250
    assert Settings().spool_cap_mb == 100
