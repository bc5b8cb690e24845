"""The challenge catalog: what a persona can be asked to do, and how a new one is drawn."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

_ROMAN = ("", "", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X")


@dataclass(frozen=True)
class ChallengeSpec:
    """A kind of challenge: its title, description and target, and the counters it follows.

    `counts` names the metrics (see rules.py) whose increments move the progress;
    `resets_on` names a metric that sets the progress back to zero; `xp` is paid on
    completion. A repeated challenge comes back at a higher tier: `target` and `xp` times the
    tier, described by `description_many` with {n} for the target.
    """

    kind: str
    title: str
    description: str
    target: int
    counts: tuple[str, ...] = ()
    resets_on: str = ""
    xp: int = 25
    description_many: str = ""

    def at_tier(self, tier: int) -> ChallengeSpec:
        """The same challenge, `tier` times as hard (tier 1 is the challenge itself)."""
        if tier <= 1:
            return self
        target = self.target * tier
        return dataclasses.replace(
            self,
            title=self.title + (_ROMAN[tier] if tier < len(_ROMAN) else f" {tier}"),
            description=self.description_many.format(n=target),
            target=target,
            xp=self.xp * tier,
        )


CATALOG: tuple[ChallengeSpec, ...] = (
    ChallengeSpec(
        "finish_turns", "Finisher", "Finish 5 turns", 5, ("turns",), "", 25, "Finish {n} turns"
    ),
    ChallengeSpec(
        "tool_calls", "Handy", "Use 20 tools", 20, ("tool_calls",), "", 25, "Use {n} tools"
    ),
    ChallengeSpec(
        "edits",
        "Wordsmith",
        "Make 10 edits to files",
        10,
        ("edits", "writes"),
        "",
        30,
        "Make {n} edits to files",
    ),
    ChallengeSpec(
        "shell_commands",
        "Shell runner",
        "Run 10 shell commands",
        10,
        ("shell_commands",),
        "",
        25,
        "Run {n} shell commands",
    ),
    ChallengeSpec(
        "test_runs",
        "Tester",
        "Run the tests 3 times",
        3,
        ("test_runs",),
        "",
        30,
        "Run the tests {n} times",
    ),
    ChallengeSpec(
        "commits", "Committer", "Make a git commit", 1, ("commits",), "", 30, "Make {n} git commits"
    ),
    ChallengeSpec(
        "subagents", "Delegator", "Use a subagent", 1, ("subagents",), "", 25, "Use {n} subagents"
    ),
    ChallengeSpec(
        "clean_turns",
        "Steady hand",
        "Finish 10 turns without an error",
        10,
        ("turns",),
        "failed_turns",
        40,
        "Finish {n} turns without an error",
    ),
    ChallengeSpec(
        "fix_failing_tests",
        "Green again",
        "Make a failing test run pass",
        1,
        ("test_fixes",),
        "",
        40,
        "Make a failing test run pass {n} times",
    ),
)

BY_KIND: dict[str, ChallengeSpec] = {spec.kind: spec for spec in CATALOG}

INITIAL_CHALLENGES = 3


def draw(seed: str, count: int, exclude: frozenset[str] = frozenset()) -> list[ChallengeSpec]:
    """Pick `count` distinct challenges, deterministically from seed, skipping `exclude` kinds."""
    ranked = sorted(
        (spec for spec in CATALOG if spec.kind not in exclude),
        key=lambda spec: hashlib.sha256(f"{seed}:{spec.kind}".encode()).digest(),
    )
    return ranked[:count]
