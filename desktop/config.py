"""User settings: one TOML file in the XDG config dir, read and written only on demand."""

from __future__ import annotations

import functools
import logging
import math
import os
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from desktop.paths import DEFAULT_PORT, default_config_dir

log = logging.getLogger(__name__)

CONFIG_FILE_NAME = "settings.toml"
MIN_POLL_INTERVAL = 0.2
MAX_POLL_INTERVAL = 60.0
DEFAULT_SPOOL_CAP_MB = 100
DEFAULT_HISTORY_DETAIL_DAYS = 365
DEFAULT_HISTORY_MAX_MB = 1000
MIN_SPOOL_CAP_MB = 1
MAX_SPOOL_CAP_MB = 1_000_000

# Each kind of desktop notification the user can switch off, with the words the UI shows.
NOTIFICATION_KINDS: dict[str, str] = {
    "needs_input": "A session needs an answer",
    "finished": "A session finished its turn",
    "failed": "A session's turn failed (API error)",
}

# How the window groups its cards (View menu), with the words the menu shows.
GROUPINGS: dict[str, str] = {
    "project": "Group by project",
    "session": "Group by tmux session",
    "flat": "No groups",
}

SettingsListener = Callable[["Settings", "Settings"], None]


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message says which and what to do."""


def default_config_file() -> Path:
    """$XDG_CONFIG_HOME/claude-rpg/settings.toml."""
    return default_config_dir() / CONFIG_FILE_NAME


@dataclass(frozen=True)
class Settings:
    """Everything the user can change in the settings dialog (or by editing the TOML file)."""

    port: int = DEFAULT_PORT
    poll_interval: float = 1.0
    notify_needs_input: bool = True
    notify_finished: bool = True
    notify_failed: bool = True
    sound: bool = False
    autostart: bool = False
    grouping: str = "project"
    # While the app is not running the hook spools every event; past this many MB it drops
    # the oldest records to keep the newest (desktop.core.hooks.command).
    spool_cap_mb: int = DEFAULT_SPOOL_CAP_MB
    # Event details (the input summary, the transcript path) are dropped past this many
    # days, and from the oldest on while the database is over history_max_mb; the facts
    # progression and reports count are kept for good (desktop.core.history.retention).
    history_detail_days: int = DEFAULT_HISTORY_DETAIL_DAYS
    history_max_mb: int = DEFAULT_HISTORY_MAX_MB
    # One notification when today's estimated cost crosses this many dollars; 0 = never.
    daily_cost_alert_usd: float = 0.0
    # One notification per plan window (5-hour, 7-day) when its use passes this percent.
    plan_limit_alert_percent: int = 90
    # Price overrides: (model id or prefix, input, output, cache read, cache write) in
    # dollars per million tokens; the table in desktop/core/usage/prices.py otherwise.
    prices: tuple[tuple[str, float, float, float, float], ...] = ()

    def notification_enabled(self, kind: str) -> bool:
        """Whether notifications of `kind` (a key of NOTIFICATION_KINDS) should be shown."""
        if kind not in NOTIFICATION_KINDS:
            raise KeyError(f"unknown notification kind {kind!r}")
        return bool(getattr(self, f"notify_{kind}"))

    def validated(self) -> Settings:
        """self, or ConfigError naming the first value that cannot work."""
        if not isinstance(self.port, int) or isinstance(self.port, bool):
            raise ConfigError(f"port must be a whole number, not {self.port!r}")
        if not 1024 <= self.port <= 65535:
            raise ConfigError(
                f"port {self.port} is outside 1024-65535; pick a free port such as {DEFAULT_PORT}"
            )
        interval = self.poll_interval
        if isinstance(interval, bool) or not isinstance(interval, int | float):
            raise ConfigError(f"poll interval must be a number of seconds, not {interval!r}")
        if not math.isfinite(interval) or not (MIN_POLL_INTERVAL <= interval <= MAX_POLL_INTERVAL):
            raise ConfigError(
                f"poll interval {interval} s is outside {MIN_POLL_INTERVAL}-{MAX_POLL_INTERVAL} s;"
                " 1 s is a good choice"
            )
        if self.grouping not in GROUPINGS:
            raise ConfigError(
                f"grouping {self.grouping!r} is not one of {', '.join(GROUPINGS)}; "
                "pick one in the View menu"
            )
        cap = self.spool_cap_mb
        if isinstance(cap, bool) or not isinstance(cap, int):
            raise ConfigError(f"spool cap must be a whole number of MB, not {cap!r}")
        if not MIN_SPOOL_CAP_MB <= cap <= MAX_SPOOL_CAP_MB:
            raise ConfigError(
                f"spool cap {cap} MB is outside {MIN_SPOOL_CAP_MB}-{MAX_SPOOL_CAP_MB} MB; "
                f"{DEFAULT_SPOOL_CAP_MB} MB is a good choice"
            )
        for name, unit, default in (
            ("history_detail_days", "days", DEFAULT_HISTORY_DETAIL_DAYS),
            ("history_max_mb", "MB", DEFAULT_HISTORY_MAX_MB),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    f"{name.replace('_', ' ')} must be a whole number of {unit}, 0 (keep all)"
                    f" or more, not {value!r}; {default} is a good choice"
                )
        alert = self.daily_cost_alert_usd
        if isinstance(alert, bool) or not isinstance(alert, int | float):
            raise ConfigError(f"daily cost alert must be a number of dollars, not {alert!r}")
        if not math.isfinite(alert) or alert < 0:
            raise ConfigError(f"daily cost alert {alert} must be 0 (off) or more dollars")
        plan = self.plan_limit_alert_percent
        if isinstance(plan, bool) or not isinstance(plan, int) or not 0 <= plan <= 100:
            raise ConfigError(
                f"plan limit alert must be a whole percent from 0 (off) to 100, not {plan!r}"
            )
        for model, *figures in self.prices:
            if not model or not all(
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and math.isfinite(v)
                and v >= 0
                for v in figures
            ):
                raise ConfigError(
                    f"the price of {model!r} needs input, output, cache_read and cache_write"
                    " as dollars per million tokens (0 or more)"
                )
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                raise ConfigError(f"{f.name} must be true or false, not {value!r}")
        return self


# The TOML layout: [section] key -> Settings field. Grouped so the file reads well by hand.
_LAYOUT: dict[str, dict[str, str]] = {
    "listener": {"port": "port"},
    "tmux": {"poll_interval": "poll_interval"},
    "notifications": {
        "needs_input": "notify_needs_input",
        "finished": "notify_finished",
        "failed": "notify_failed",
        "sound": "sound",
    },
    "desktop": {"autostart": "autostart"},
    "window": {"grouping": "grouping"},
    "spool": {"cap_mb": "spool_cap_mb"},
    "history": {"detail_days": "history_detail_days", "max_mb": "history_max_mb"},
    "usage": {
        "daily_cost_alert_usd": "daily_cost_alert_usd",
        "plan_limit_alert_percent": "plan_limit_alert_percent",
    },
}
PRICE_KEYS = ("input", "output", "cache_read", "cache_write")


def to_toml(settings: Settings) -> str:
    values = asdict(settings)
    doc = {
        section: {key: values[name] for key, name in keys.items()}
        for section, keys in _LAYOUT.items()
    }
    if settings.prices:
        doc["usage"]["prices"] = {
            model: dict(zip(PRICE_KEYS, figures, strict=True))
            for model, *figures in settings.prices
        }
    return "# claude-rpg settings; the settings dialog rewrites this file.\n" + tomli_w.dumps(doc)


def _number(value: Any) -> Any:
    """A TOML int as a float; anything else as it is (validation names what is wrong)."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def from_toml(text: str, source: str = "settings") -> Settings:
    """Parse and validate; unknown keys are ignored, missing ones take their defaults."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source} is not valid TOML ({e}); fix or delete it") from e
    values: dict[str, Any] = {}
    for section, keys in _LAYOUT.items():
        table = doc.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] in {source} must be a table; fix or delete it")
        for key, name in keys.items():
            if key in table:
                values[name] = table[key]
    # An int where a float is expected is fine in TOML hand edits ("poll_interval = 2").
    for name in ("poll_interval", "daily_cost_alert_usd"):
        if isinstance(values.get(name), int) and not isinstance(values[name], bool):
            values[name] = float(values[name])
    prices = doc.get("usage", {}).get("prices", {})
    if not isinstance(prices, dict) or not all(isinstance(p, dict) for p in prices.values()):
        raise ConfigError(
            f"[usage.prices] in {source} must hold one table per model, e.g."
            ' [usage.prices."claude-opus-4-8"] input = 5.0; fix or delete it'
        )
    values["prices"] = tuple(
        (str(model), *(_number(table.get(key)) for key in PRICE_KEYS))
        for model, table in prices.items()
    )
    try:
        return Settings(**values).validated()
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from e


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; defaults when the file is missing. Raises ConfigError when broken."""
    path = path or default_config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}; check its permissions") from e
    return from_toml(text, str(path))


def load_settings_or_defaults(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults with a logged sentence when the file is broken."""
    try:
        return load_settings(path)
    except ConfigError as e:
        log.warning("%s; using the default settings until then", e)
        return Settings()


@functools.lru_cache(maxsize=4)
def _load_once(path: Path, _mtime_ns: int) -> Settings:
    return load_settings_or_defaults(path)


def configured_settings() -> Settings:
    """The saved settings for command-line defaults: read (and complained about) once per file
    version, however many subcommand parsers ask."""
    path = default_config_file()
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        mtime_ns = -1
    return _load_once(path, mtime_ns)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Validate, then replace the file atomically (creating its folder on first save)."""
    settings.validated()
    path = path or default_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(to_toml(settings), encoding="utf-8")
    os.replace(tmp, path)
    return path


class SettingsStore:
    """The current settings plus change notification: listeners get (old, new) after a save."""

    def __init__(self, path: Path | None = None, initial: Settings | None = None) -> None:
        self.path = path or default_config_file()
        self.current = initial if initial is not None else load_settings_or_defaults(self.path)
        self._listeners: list[SettingsListener] = []

    def subscribe(self, listener: SettingsListener) -> Callable[[], None]:
        """Call listener(old, new) after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def update(self, new: Settings) -> bool:
        """Save `new` and tell the listeners; False (and nothing written) when unchanged."""
        new.validated()
        if new == self.current:
            return False
        save_settings(new, self.path)
        old, self.current = self.current, new
        for listener in list(self._listeners):
            try:
                listener(old, new)
            except Exception:
                # One broken listener must not keep the others from hearing about the change.
                log.exception("a settings listener failed")
        return True

    def change(self, **values: Any) -> bool:
        """update() with some fields replaced."""
        return self.update(replace(self.current, **values))
