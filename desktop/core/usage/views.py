"""Usage as the API and the UI show it: token totals with an estimated cost, per day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from desktop.core.usage.prices import PRICES_AS_OF, Price, price_for


class TokenSums(Protocol):
    """Summed tokens of a group of replies, as the store hands them (usage_repo.TokenSums)."""

    @property
    def group(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def sidechain(self) -> bool: ...
    @property
    def replies(self) -> int: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_creation_tokens(self) -> int: ...


@dataclass(frozen=True)
class Tokens:
    """Token counts of some replies and their estimated cost in US dollars."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float = 0.0
    replies: int = 0

    def plus(self, row: TokenSums, prices: Mapping[str, Price]) -> Tokens:
        cost = price_for(row.model, prices).cost(
            row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_creation_tokens
        )
        return Tokens(
            self.input_tokens + row.input_tokens,
            self.output_tokens + row.output_tokens,
            self.cache_read_tokens + row.cache_read_tokens,
            self.cache_creation_tokens + row.cache_creation_tokens,
            self.cost_usd + cost,
            self.replies + row.replies,
        )

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_creation_tokens
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost_usd"] = round(self.cost_usd, 6)
        return data


@dataclass(frozen=True)
class SessionUsage:
    """One session's usage within a persona (subagents included, and also apart)."""

    session_id: str
    models: tuple[str, ...]
    tokens: Tokens
    subagent_tokens: Tokens

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "models": list(self.models),
            **self.tokens.to_json(),
            "subagents": self.subagent_tokens.to_json(),
        }


@dataclass(frozen=True)
class PersonaUsage:
    """A persona's usage over all its sessions: totals include subagents, also shown apart."""

    tokens: Tokens = Tokens()
    subagent_tokens: Tokens = Tokens()
    turns: int = 0
    subagents: int = 0
    models: tuple[str, ...] = ()
    sessions: tuple[SessionUsage, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.tokens.to_json(),
            "turns": self.turns,
            "subagents": self.subagents,
            "subagent_usage": self.subagent_tokens.to_json(),
            "models": list(self.models),
            "sessions": [s.to_json() for s in self.sessions],
            "cost_is_estimate": True,
            "prices_as_of": PRICES_AS_OF,
        }


@dataclass(frozen=True)
class UsageDay:
    """One local day's usage."""

    day: date
    tokens: Tokens
    turns: int = 0

    @property
    def cost_usd(self) -> float:
        return self.tokens.cost_usd

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), **self.tokens.to_json(), "turns": self.turns}


def persona_usage(
    rows: Iterable[TokenSums], turns: int, subagents: int, prices: Mapping[str, Price]
) -> PersonaUsage:
    """Fold per-session, per-model sums into a persona's usage."""
    total, side = Tokens(), Tokens()
    sessions: dict[str, tuple[list[str], Tokens, Tokens]] = {}
    models: list[str] = []
    for row in rows:
        total = total.plus(row, prices)
        models_of, all_of, side_of = sessions.get(row.group, ([], Tokens(), Tokens()))
        if row.sidechain:
            side = side.plus(row, prices)
            side_of = side_of.plus(row, prices)
        all_of = all_of.plus(row, prices)
        for seen in (models_of, models):
            if row.model and row.model not in seen:
                seen.append(row.model)
        sessions[row.group] = (models_of, all_of, side_of)
    return PersonaUsage(
        total,
        side,
        turns,
        subagents,
        tuple(models),
        tuple(SessionUsage(sid, tuple(m), t, st) for sid, (m, t, st) in sessions.items()),
    )


def since_days(count: int, today: date | None = None) -> tuple[float, list[date]]:
    """The epoch seconds of local midnight `count - 1` days ago, and the days to today."""
    today = today or date.today()
    days = [today - timedelta(days=back) for back in range(count - 1, -1, -1)]
    return datetime.combine(days[0], time()).timestamp(), days


def day_usage(
    days: list[date],
    rows: Iterable[TokenSums],
    turns: Mapping[str, int],
    prices: Mapping[str, Price],
) -> list[UsageDay]:
    """One UsageDay for each of `days`, with zeros where nothing was used."""
    by_day: dict[str, Tokens] = {}
    for row in rows:
        by_day[row.group] = by_day.get(row.group, Tokens()).plus(row, prices)
    return [
        UsageDay(d, by_day.get(d.isoformat(), Tokens()), turns.get(d.isoformat(), 0)) for d in days
    ]
