"""Which project a logged folder belongs to, remembered per folder (the report reads many)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.core.projects.locate import RepoLocation, locate

NO_PROJECT_NAME = "no project"


@dataclass(frozen=True)
class ProjectKey:
    """A project as reports name it; id None gathers every folder in no repository."""

    id: str | None
    name: str
    root: str = ""

    def to_json(self) -> dict[str, str | None]:
        return {"id": self.id, "name": self.name, "root": self.root or None}


NO_PROJECT = ProjectKey(None, NO_PROJECT_NAME)


class ProjectResolver:
    """cwd -> ProjectKey, looked up on the file system once per folder."""

    def __init__(self) -> None:
        self._known: dict[str, ProjectKey] = {}

    def __call__(self, cwd: str) -> ProjectKey:
        known = self._known.get(cwd)
        if known is None:
            where = locate(cwd) if cwd else None
            if isinstance(where, RepoLocation):
                known = ProjectKey(where.project_id, where.name, where.root)
            else:
                # A folder that is gone (or never was a repo) counts as no project.
                known = NO_PROJECT
            self._known[cwd] = known
        return known
