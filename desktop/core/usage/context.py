"""The context window: how many tokens a session's model holds, and how full it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STANDARD_WINDOW = 200_000
LARGE_WINDOW = 1_000_000
WARN_PERCENT = 80


def window_for(model: str) -> int:
    """The context window of a model as Claude Code names it: `[1m]` marks the 1M variant."""
    return LARGE_WINDOW if "[1m]" in model.lower() else STANDARD_WINDOW


@dataclass(frozen=True)
class ContextUse:
    """Tokens in the context (the last main-thread reply's prompt) against the window."""

    used_tokens: int
    window_tokens: int

    @property
    def percent(self) -> int:
        """Whole percent in use, 0-100 (a context over the window shows as full)."""
        if self.window_tokens <= 0:
            return 0
        return min(100, int(self.used_tokens * 100 // self.window_tokens))

    @property
    def warns(self) -> bool:
        return self.percent >= WARN_PERCENT

    def to_json(self) -> dict[str, Any]:
        return {
            "used_tokens": self.used_tokens,
            "window_tokens": self.window_tokens,
            "percent": self.percent,
        }


def short_model(model: str) -> str:
    """A model's short name for a card: `claude-opus-4-8[1m]` -> `Opus 4.8`."""
    name = model.split("[", 1)[0].strip().lower()
    if not name.startswith("claude-"):
        return model.strip()[:24]  # a proxy's own name: shown as it is
    name = name[len("claude-") :]
    parts = [p for p in name.split("-") if p]
    # Drop a release date (claude-3-5-sonnet-20241022, claude-sonnet-4-20250514).
    parts = [p for p in parts if not (p.isdigit() and len(p) >= 8)]
    family = next((p for p in parts if p.isalpha()), "")
    if not family:
        return model.strip()[:24]
    version = ".".join(p for p in parts if p.isdigit())
    return f"{family.capitalize()} {version}".strip()


@dataclass(frozen=True)
class SessionInsight:
    """What a card shows of a session's model and context."""

    session_id: str
    model: str = ""  # the model id as Claude names it
    context: ContextUse | None = None
    compacting: bool = False  # between PreCompact and PostCompact

    @property
    def model_name(self) -> str:
        return short_model(self.model) if self.model else ""

    def context_json(self) -> dict[str, Any] | None:
        if self.context is None:
            return None
        return {**self.context.to_json(), "compacting": self.compacting}
