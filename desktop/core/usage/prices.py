"""A dated table of model prices (US dollars per million tokens) for cost estimates.

The figures are Anthropic's published list prices for the API as of PRICES_AS_OF. They
give an estimate only: plans, discounts, batch and long-context surcharges are not applied,
and every cache write is priced at the 5-minute rate (1-hour writes cost more). Users
override rows in settings ([usage.prices] in settings.toml).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Checked on this date against the vendor's published price list.
PRICES_AS_OF = "2026-12-04"


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of each kind for one model."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    def cost(
        self, input_tokens: int, output_tokens: int, cache_read: int, cache_creation: int
    ) -> float:
        """The estimated cost in dollars of these token counts."""
        return (
            input_tokens * self.input
            + output_tokens * self.output
            + cache_read * self.cache_read
            + cache_creation * self.cache_write
        ) / 1_000_000


def _price(input_: float, output: float, cache_read: float | None = None) -> Price:
    # Prompt caching is priced from the input price: 5-minute writes at 1.25x, reads at 0.1x
    # unless the list gives a model its own read price.
    read = round(input_ * 0.1, 4) if cache_read is None else cache_read
    return Price(input_, output, read, round(input_ * 1.25, 4))


# Model id prefixes, matched longest first; a family name alone covers newer releases of it
# (priced as the newest one listed).
PRICES: Mapping[str, Price] = {
    "claude-fable-5": _price(10.0, 50.0),
    "claude-fable-5-1": _price(10.0, 50.0, cache_read=0.25),
    "claude-fable": _price(10.0, 50.0, cache_read=0.25),
    "claude-mythos-5": _price(10.0, 50.0),
    "claude-mythos-5-1": _price(10.0, 50.0, cache_read=0.25),
    "claude-mythos": _price(10.0, 50.0, cache_read=0.25),
    "claude-opus-5-5": _price(4.0, 20.0, cache_read=0.2),
    "claude-opus-5": _price(5.0, 25.0),
    "claude-opus-4-8": _price(5.0, 25.0),
    "claude-opus-4-7": _price(5.0, 25.0),
    "claude-opus-4-6": _price(5.0, 25.0),
    "claude-opus-4-5": _price(5.0, 25.0),
    "claude-opus-4-1": _price(15.0, 75.0),
    "claude-opus-4-0": _price(15.0, 75.0),
    "claude-opus-4-2": _price(15.0, 75.0),  # claude-opus-4-20250514
    "claude-opus": _price(4.0, 20.0, cache_read=0.2),
    "claude-3-opus": _price(15.0, 75.0),
    "claude-sonnet-5-5": _price(2.0, 10.0, cache_read=0.1),
    "claude-sonnet-5": _price(2.0, 10.0),
    "claude-sonnet-4": _price(3.0, 15.0),
    "claude-sonnet": _price(2.0, 10.0, cache_read=0.1),
    "claude-3-7-sonnet": _price(3.0, 15.0),
    "claude-3-5-sonnet": _price(3.0, 15.0),
    # Haiku 5.5 costs 5x more for a prompt over 100K tokens; the estimate takes the lower rate.
    "claude-haiku-5-5": _price(0.1, 0.5, cache_read=0.01),
    "claude-haiku-4": _price(1.0, 5.0),
    "claude-haiku": _price(0.1, 0.5, cache_read=0.01),
    "claude-3-5-haiku": Price(0.8, 4.0, 0.08, 1.0),
    "claude-3-haiku": Price(0.25, 1.25, 0.03, 0.3),
}
# A model nobody priced (a proxy's own name): priced as the middle family, so the estimate
# is neither zero nor the dearest.
FALLBACK = PRICES["claude-sonnet"]


def overrides_from(rows: Iterable[tuple[str, float, float, float, float]]) -> dict[str, Price]:
    """The settings' price rows (model or prefix, input, output, cache read, cache write)."""
    return {model: Price(*figures) for model, *figures in rows}


def base_model(model: str) -> str:
    """The model id without Claude Code's context suffix (`claude-opus-4-8[1m]`)."""
    return model.split("[", 1)[0].strip().lower()


def price_for(model: str, overrides: Mapping[str, Price] | None = None) -> Price:
    """The price of a model: an override for it or its prefix first, then the table."""
    name = base_model(model)
    for table in (overrides or {}, PRICES):
        best = max((key for key in table if name.startswith(key.lower())), key=len, default=None)
        if best is not None:
            return table[best]
    return FALLBACK
