"""What the API and the UI read about projects: the live ones with their panes and personas."""

from __future__ import annotations

from typing import Any

from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.projects.tracker import KnownProject, ProjectTracker


class ProjectService:
    """Projects seen in this run, each with the panes and personas working in it now."""

    def __init__(self, tracker: ProjectTracker, registry: PaneRegistry) -> None:
        self.tracker = tracker
        self.registry = registry

    def _panes_of(self, project_id: str) -> list[PaneState]:
        return [p for p in self.registry.all() if p.project and p.project.id == project_id]

    def _json(self, known: KnownProject) -> dict[str, Any]:
        panes = self._panes_of(known.id)
        personas: dict[int, dict[str, Any]] = {}
        for pane in panes:
            if pane.persona is not None:
                personas[pane.persona.id] = {"id": pane.persona.id, "name": pane.persona.name}
        data = known.to_json()
        data["panes"] = [
            {"pane_id": p.pane_id, "target": p.target, "cwd": p.cwd, "status": p.status.value}
            for p in panes
        ]
        data["personas"] = list(personas.values())
        return data

    def all(self) -> list[dict[str, Any]]:
        """Every project seen in this run, by name."""
        return [self._json(k) for k in sorted(self.tracker.known.values(), key=_by_name)]

    def get(self, project_id: str) -> dict[str, Any] | None:
        """One project, or None when no project has that id."""
        known = self.tracker.known.get(project_id)
        return self._json(known) if known is not None else None


def _by_name(known: KnownProject) -> tuple[str, str]:
    return (known.name.lower(), known.root)
