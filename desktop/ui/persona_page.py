"""A persona's page: avatar, level, stats, challenges, badges, XP over time and its sessions."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import PaneState, PersonaInfo
from desktop.core.progression.levels import LevelProgress, level_progress
from desktop.core.progression.views import PersonaPage, ProgressUpdate, SessionLink
from desktop.core.usage.prices import PRICES_AS_OF
from desktop.core.usage.views import PersonaUsage, SessionUsage, UsageDay
from desktop.ui.bridge import Bridge
from desktop.ui.cost_alert import cost_text
from desktop.ui.flow import FlowLayout
from desktop.ui.i18n import tr
from desktop.ui.page_parts import (
    BadgeChip,
    ChallengeRow,
    PageDialog,
    SectionTitle,
    ShownRefresh,
    StatTile,
    local_time,
    muted_label,
    scaled_font,
)
from desktop.ui.safe_text import plain_label
from desktop.ui.usage_chart import UsageChart, tokens_text
from desktop.ui.widgets import AvatarView, ElidedLabel, ProgressStrip
from desktop.ui.xp_chart import XpChart

AVATAR = 88
STAT_COLUMNS = 4
REFRESH_MS = 150  # a burst of events (a tool call, its turn's end) refreshes the page once
COMPLETED_SHOWN = 10  # the newest completed challenges; a long-lived persona has dozens


def duration_text(seconds: float) -> str:
    """`2 h 14 min`, `45 min`, `under a minute`."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def missing_text(persona_id: int) -> str:
    return (
        f"Persona {persona_id} is not in the database any more (was the data folder changed "
        "or reset?). Close this page and double-click a card to open a current persona."
    )


def remote_missing_text(host: str, session_id: str) -> str:
    return tr(
        "The persona of session {session} on host {host} has not reached this desktop (its "
        "host sends a persona with the events that move it). Close this page; it opens once "
        "{host} sends it."
    ).format(session=session_id, host=host)


class PersonaHeaderView(QWidget):
    """A persona page: avatar, name, level and XP bar, and where and since when on top."""

    avatar: AvatarView
    name: QLabel
    level: QLabel
    xp_strip: ProgressStrip
    to_next: ElidedLabel
    since: ElidedLabel

    def identity_header(
        self, persona: PersonaInfo, level: LevelProgress, since: str
    ) -> QHBoxLayout:
        self.avatar = AvatarView(AVATAR)
        self.avatar.set_seed(persona.avatar_seed)
        self.name = plain_label(QLabel(persona.name))
        self.name.setFont(scaled_font(self, 1.7, bold=True))
        self.level = QLabel(f"Level {level.level} · {persona.xp:,} XP")
        self.level.setFont(scaled_font(self, 1.1, bold=True))
        self.xp_strip = ProgressStrip(10)
        self.xp_strip.set_fraction(level.fraction)
        to_go = level.next_level_xp - persona.xp
        self.to_next = muted_label(
            f"{persona.xp - level.level_xp:,} / "
            f"{level.next_level_xp - level.level_xp:,} XP in this level · "
            f"{to_go:,} to level {level.level + 1}"
        )
        self.since = muted_label(since)
        identity = QVBoxLayout()
        identity.setSpacing(4)
        identity.addWidget(self.name)
        identity.addWidget(self.level)
        identity.addSpacing(2)
        identity.addWidget(self.xp_strip)
        identity.addWidget(self.to_next)
        identity.addWidget(self.since)
        header = QHBoxLayout()
        header.setSpacing(18)
        header.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(identity, 1)
        return header


class PersonaPageView(PersonaHeaderView):
    """The page's contents for one PersonaPage; rebuilt whenever the page is read again."""

    def __init__(
        self,
        page: PersonaPage,
        panes: list[PaneState],
        parent: QWidget | None = None,
        usage: tuple[PersonaUsage, list[UsageDay]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.usage, days = usage if usage is not None else (PersonaUsage(), [])
        box = QVBoxLayout(self)
        box.setContentsMargins(22, 18, 22, 22)
        box.setSpacing(8)
        box.addLayout(self._header())
        box.addWidget(SectionTitle("Stats"))
        box.addLayout(self._stats())
        box.addWidget(SectionTitle("XP over time"))
        self.chart = XpChart()
        self.chart.set_points(page.xp_history)
        box.addWidget(self.chart)
        box.addWidget(SectionTitle(tr("Tokens and cost (estimate)")))
        self.usage_line = plain_label(QLabel(usage_text(self.usage)))
        self.usage_line.setWordWrap(True)
        box.addWidget(self.usage_line)
        self.usage_chart = UsageChart()
        self.usage_chart.set_days(days)
        box.addWidget(self.usage_chart)
        box.addWidget(SectionTitle("Challenges"))
        self.challenge_rows = [ChallengeRow(c) for c in page.active_challenges]
        # Newest completion first: what was just done is what the person looks for.
        done = sorted(
            page.completed_challenges,
            key=lambda c: (c.completed_at.timestamp() if c.completed_at else 0.0, c.id),
            reverse=True,
        )
        self.completed_rows = [ChallengeRow(c) for c in done[:COMPLETED_SHOWN]]
        for row in self.challenge_rows:
            box.addWidget(row)
        if done:
            shown = "" if len(done) <= COMPLETED_SHOWN else f", the {COMPLETED_SHOWN} newest"
            box.addWidget(muted_label(f"Completed ({len(done)}{shown})"))
            for row in self.completed_rows:
                box.addWidget(row)
        box.addWidget(SectionTitle(f"Badges ({len(page.badges)} earned)"))
        box.addWidget(self._badges())
        box.addWidget(SectionTitle("Sessions"))
        box.addWidget(self._sessions(panes))
        box.addStretch(1)

    def _header(self) -> QHBoxLayout:
        page = self.page
        persona = page.persona
        sessions = len(page.sessions)
        since = (
            f"Persona {persona.id} · since {local_time(persona.created_at)} · "
            f"{sessions} session{'s' if sessions != 1 else ''}"
        )
        return self.identity_header(persona, page.level, since)

    def _stats(self) -> QGridLayout:
        page = self.page
        values = [(f"{s.value:,}", s.label) for s in page.stats]
        days = page.best_streak
        values.append((f"{days} day{'s' if days != 1 else ''}", "Best streak"))
        values.append((duration_text(page.longest_session_s), "Longest session"))
        self.stat_tiles = [StatTile(value, label) for value, label in values]
        grid = QGridLayout()
        grid.setSpacing(8)
        for i, tile in enumerate(self.stat_tiles):
            grid.addWidget(tile, i // STAT_COLUMNS, i % STAT_COLUMNS)
        return grid

    def _badges(self) -> QWidget:
        page = self.page
        self.badge_chips = [BadgeChip(b.title, b.description, b.earned_at) for b in page.badges]
        self.locked_chips = [BadgeChip(b.title, b.description, None) for b in page.locked_badges]
        holder = QWidget()
        flow = FlowLayout(holder, spacing=8)
        flow.setContentsMargins(0, 0, 0, 0)
        for chip in self.badge_chips + self.locked_chips:
            flow.addWidget(chip)
        return holder

    def _sessions(self, panes: list[PaneState]) -> QWidget:
        where = {p.session_id: p.target for p in panes if p.session_id and p.alive}
        holder = QWidget()
        rows = QGridLayout(holder)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setHorizontalSpacing(16)
        rows.setVerticalSpacing(6)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.session_labels: list[QLabel] = []
        used = {s.session_id: s for s in self.usage.sessions}
        self.session_usage: list[QLabel] = []
        for i, link in enumerate(self.page.sessions):
            label = plain_label(QLabel(link.session_id))  # as Claude sent it
            label.setFont(mono)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.session_labels.append(label)
            rows.addWidget(label, i, 0)
            rows.addWidget(muted_label(session_note(link, where.get(link.session_id))), i, 1)
            spent = plain_label(QLabel(session_usage_text(used.get(link.session_id))))
            self.session_usage.append(spent)
            rows.addWidget(spent, i, 2)
        rows.setColumnStretch(1, 1)
        return holder


def kept_on_text(host: str) -> str:
    return tr(
        "Its XP history, stats, challenges, badges and token use are kept on {host}, where "
        "it earns its XP; the claude-rpg running there shows them. Its level and XP here are "
        "the ones {host} last sent."
    ).format(host=host)


class RemotePersonaPageView(PersonaHeaderView):
    """A remote host's persona: what the desktop has of it (its host keeps the rest)."""

    def __init__(
        self, persona: PersonaInfo, panes: list[PaneState], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.persona = persona
        # The host's level, with this version's bounds for the bar (the same on both sides).
        level = dataclasses.replace(level_progress(persona.xp), level=persona.level)
        since = tr("On {host} · persona {id} there · since {when}").format(
            host=persona.host, id=persona.id, when=local_time(persona.created_at)
        )
        box = QVBoxLayout(self)
        box.setContentsMargins(22, 18, 22, 22)
        box.setSpacing(8)
        box.addLayout(self.identity_header(persona, level, since))
        box.addWidget(SectionTitle(tr("Sessions")))
        where = [
            p.target
            for p in panes
            if p.alive
            and p.persona is not None
            and (p.persona.host, p.persona.id) == (persona.host, persona.id)
        ]
        rows = QGridLayout()
        rows.setHorizontalSpacing(16)
        self.session_label = plain_label(QLabel(persona.session_id))  # as Claude sent it
        self.session_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.session_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = tr("no pane shows it now")
        if where:
            note = tr("running on {host} in {target}").format(host=persona.host, target=where[0])
        self.session_note = muted_label(note)
        rows.addWidget(self.session_label, 0, 0)
        rows.addWidget(self.session_note, 0, 1)
        rows.setColumnStretch(1, 1)
        box.addLayout(rows)
        box.addWidget(SectionTitle(tr("Kept on {}").format(persona.host)))
        self.kept_on = plain_label(QLabel(kept_on_text(persona.host)))
        self.kept_on.setWordWrap(True)
        box.addWidget(self.kept_on)
        box.addStretch(1)


def usage_text(usage: PersonaUsage) -> str:
    """`1.2M input · 45.0k output · 3.4M cache read · 120k cache write tokens; 31 turns, 2
    subagents (12.0k tokens); about $3.21 (prices as of 2026-12-04)`."""
    t = usage.tokens
    if not t.replies:
        return tr("No tokens counted yet: they come from the session's transcript.")
    text = tr("{} input · {} output · {} cache read · {} cache write tokens; {} turns").format(
        tokens_text(t.input_tokens),
        tokens_text(t.output_tokens),
        tokens_text(t.cache_read_tokens),
        tokens_text(t.cache_creation_tokens),
        usage.turns,
    )
    if usage.subagents:
        text += tr(", {} subagents ({} tokens)").format(
            usage.subagents, tokens_text(usage.subagent_tokens.total_tokens)
        )
    return text + tr("; about {} (prices as of {})").format(cost_text(t.cost_usd), PRICES_AS_OF)


def session_usage_text(usage: SessionUsage | None) -> str:
    if usage is None or not usage.tokens.replies:
        return ""
    return tr("{} tokens · about {}").format(
        tokens_text(usage.tokens.total_tokens), cost_text(usage.tokens.cost_usd)
    )


def session_note(link: SessionLink, pane_target: str | None) -> str:
    """Why a session id belongs to the persona, and where it runs now."""
    how = "continued after /clear" if link.continued else "started this persona"
    note = f"{how}, {local_time(link.linked_at)}"
    return f"{note} · running in {pane_target}" if pane_target else note


class PersonaPageDialog(PageDialog):
    """A window with one persona's page; it follows the persona's progress while open."""

    def __init__(self, bridge: Bridge, persona_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.persona_id = persona_id
        self.view: PersonaPageView | None = None
        self.problem.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.refresher = ShownRefresh(self, REFRESH_MS, self.refresh)
        bridge.progress_changed.connect(self._on_progress)
        bridge.usage_changed.connect(self.refresher.request)
        self.resize(760, 880)
        self.refresh()

    @property
    def page(self) -> PersonaPage | None:
        return self.view.page if self.view is not None else None

    def refresh(self) -> None:
        """Read the page again and show it, keeping the scroll position."""
        self.refresher.refreshed()
        page = self.bridge.persona_page(self.persona_id)
        if page is None:
            self.view = None
            self.show_problem(missing_text(self.persona_id), "Persona not found — claude-rpg")
            return
        usage = self.bridge.persona_usage(self.persona_id)
        self.view = PersonaPageView(page, self.bridge.panes(), usage=usage)
        self.show_page(self.view, f"{page.persona.name} — claude-rpg")

    def _on_progress(self, update: ProgressUpdate) -> None:
        if update.persona.id == self.persona_id:
            self.refresher.request()


class RemotePersonaPageDialog(PageDialog):
    """A window with a remote host's persona, by (host, session id); it follows what the
    host sends of it while open."""

    def __init__(
        self, bridge: Bridge, host: str, session_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.host = host
        self.session_id = session_id
        self.view: RemotePersonaPageView | None = None
        self.problem.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.refresher = ShownRefresh(self, REFRESH_MS, self.refresh)
        bridge.remote_personas_changed.connect(self.refresher.request)
        bridge.pane_changed.connect(lambda _pane: self.refresher.request())
        self.resize(760, 420)
        self.refresh()

    def refresh(self) -> None:
        """Read what the desktop holds of the persona again and show it."""
        self.refresher.refreshed()
        persona = self.bridge.remote_persona(self.host, self.session_id)
        if persona is None:
            self.view = None
            self.show_problem(
                remote_missing_text(self.host, self.session_id), "Persona not found — claude-rpg"
            )
            return
        self.view = RemotePersonaPageView(persona, self.bridge.panes())
        self.show_page(self.view, f"{persona.name} ({persona.host}) — claude-rpg")
