"""The challenge catalog: what a persona can be asked to do, and how a new one is drawn."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ChallengeSpec:
    """A kind of challenge: its title, description and target."""

    kind: str
    title: str
    description: str
    target: int


CATALOG: tuple[ChallengeSpec, ...] = (
    ChallengeSpec("finish_turns", "Finisher", "Finish 5 turns", 5),
    ChallengeSpec("tool_calls", "Handy", "Use 20 tools", 20),
    ChallengeSpec("edits", "Wordsmith", "Make 10 edits to files", 10),
    ChallengeSpec("shell_commands", "Shell runner", "Run 10 shell commands", 10),
    ChallengeSpec("test_runs", "Tester", "Run the tests 3 times", 3),
    ChallengeSpec("commits", "Committer", "Make a git commit", 1),
    ChallengeSpec("subagents", "Delegator", "Use a subagent", 1),
    ChallengeSpec("clean_turns", "Steady hand", "Finish 10 turns without an error", 10),
)

INITIAL_CHALLENGES = 3


def draw(seed: str, count: int, exclude: frozenset[str] = frozenset()) -> list[ChallengeSpec]:
    """Pick `count` distinct challenges, deterministically from seed, skipping `exclude` kinds."""
    ranked = sorted(
        (spec for spec in CATALOG if spec.kind not in exclude),
        key=lambda spec: hashlib.sha256(f"{seed}:{spec.kind}".encode()).digest(),
    )
    return ranked[:count]
