"""Reading Claude's screen: the last resort, behind version-tagged pattern sets.

Screen text changes between Claude Code releases, so every pattern lives in a set tagged
with the first version it applies to and the releases it was recorded on; a screen is read
with the newest set not newer than its version (the newest set when the version is
unknown). A release no set was recorded on is not read at all: its screen may say
something else in the same words, so its status comes from hooks, the title glyph and the
session file only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ScreenState(StrEnum):
    """What the bottom of Claude's screen shows."""

    UNKNOWN = ""
    BUSY = "busy"
    WAITING = "waiting"
    IDLE = "idle"


@dataclass(frozen=True)
class DialogOption:
    """One numbered choice of a dialog, as shown: `2. Yes, and always allow ...`."""

    key: str
    label: str


@dataclass(frozen=True)
class ScreenPatterns:
    """The screen texts of one range of Claude Code versions."""

    since: tuple[int, ...]
    seen_on: tuple[tuple[int, ...], ...]  # the releases these texts were recorded on
    busy_footer: re.Pattern[str]
    dialog_footer: re.Pattern[str]
    question: re.Pattern[str]
    option: re.Pattern[str]
    prompt_line: re.Pattern[str]
    rule: re.Pattern[str]
    pasted: re.Pattern[str]
    approve_once: re.Pattern[str]
    approve_always: re.Pattern[str]
    deny: re.Pattern[str]
    tail_lines: int = 14


PATTERN_SETS: tuple[ScreenPatterns, ...] = (
    # Seen on 2.1.197 (tests/fixtures/screens/claude-code-2.1.197).
    ScreenPatterns(
        since=(2, 1, 0),
        seen_on=((2, 1, 197),),
        busy_footer=re.compile(r"\besc to interrupt\b"),
        dialog_footer=re.compile(r"\bEsc to cancel\b"),
        question=re.compile(r"^\s*(\S.*\?)\s*$"),
        option=re.compile(r"^\s*(?:❯\s*)?(\d)\.\s+(\S.*?)\s*$"),
        prompt_line=re.compile(r"^\s*❯"),
        rule=re.compile(r"^\s*─{20,}\s*$"),
        pasted=re.compile(r"\[Pasted text #\d+"),
        approve_once=re.compile(r"^Yes$"),
        approve_always=re.compile(r"^Yes, (and )?(always|don't ask)", re.IGNORECASE),
        deny=re.compile(r"^No\b"),
    ),
)

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_BANNER = re.compile(r"Claude Code v(\d+\.\d+\.\d+)")


def version_tuple(version: str) -> tuple[int, ...] | None:
    match = _VERSION.search(version or "")
    return tuple(int(part) for part in match.groups()) if match else None


def patterns_for(version: str | None) -> ScreenPatterns:
    """The newest pattern set that applies to `version` (the newest of all when unknown)."""
    wanted = version_tuple(version or "")
    ordered = sorted(PATTERN_SETS, key=lambda p: p.since)
    if wanted is None:
        return ordered[-1]
    usable = [p for p in ordered if p.since <= wanted]
    return usable[-1] if usable else ordered[0]


def trusted_version(version: str | None) -> bool:
    """May a screen of this Claude release be read? Unknown (no version to go by): yes."""
    wanted = version_tuple(version or "")
    return wanted is None or any(wanted in p.seen_on for p in PATTERN_SETS)


def banner_version(text: str) -> str:
    """The version in Claude's welcome banner, when it is still on screen."""
    match = _BANNER.search(text)
    return match.group(1) if match else ""


def _tail(text: str, count: int) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines[-count:]


@dataclass(frozen=True)
class ScreenReading:
    """One screen, read: its state, and the dialog's question and choices when one is shown."""

    state: ScreenState
    question: str = ""
    options: tuple[DialogOption, ...] = ()


def read_screen(text: str, version: str | None = None) -> ScreenReading:
    """What Claude's screen says: a dialog, a turn running, an idle prompt, or nothing known.

    Nothing known, too, for a release no pattern set was recorded on (see the module).
    """
    version = version or banner_version(text)
    if not trusted_version(version):
        return ScreenReading(ScreenState.UNKNOWN)
    patterns = patterns_for(version)
    tail = _tail(text, patterns.tail_lines)
    if not tail:
        return ScreenReading(ScreenState.UNKNOWN)
    footer = tail[-1]
    options = tuple(
        DialogOption(m.group(1), m.group(2))
        for line in tail
        if (m := patterns.option.match(line)) is not None
    )
    if patterns.dialog_footer.search(footer) and options:
        return ScreenReading(ScreenState.WAITING, _question(tail, patterns), options)
    if patterns.busy_footer.search(footer):
        return ScreenReading(ScreenState.BUSY)
    rules = [i for i, line in enumerate(tail) if patterns.rule.match(line)]
    if len(rules) >= 2 and any(patterns.prompt_line.match(tail[i]) for i in range(*rules[-2:])):
        return ScreenReading(ScreenState.IDLE)
    return ScreenReading(ScreenState.UNKNOWN)


def _question(tail: list[str], patterns: ScreenPatterns) -> str:
    for line in tail:
        match = patterns.question.match(line)
        if match and not patterns.option.match(line):
            return match.group(1).strip()
    return ""


def input_echo_count(text: str, needle: str, version: str | None = None) -> int:
    """How often `needle` (or a collapsed-paste marker) shows on screen: typed text arrived."""
    patterns = patterns_for(version or banner_version(text))
    flat = " ".join(text.split())
    return (flat.count(needle) if needle else 0) + len(patterns.pasted.findall(text))


def choose_option(reading: ScreenReading, choice: str, version: str | None = None) -> str | None:
    """The key of the dialog option for `choice` (once, always, deny), or None if not offered."""
    patterns = patterns_for(version)
    wanted = {
        "once": patterns.approve_once,
        "always": patterns.approve_always,
        "deny": patterns.deny,
    }[choice]
    for option in reading.options:
        if wanted.search(option.label):
            return option.key
    return None
