"""The daily report from the recorded real events, replayed into real git repositories."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.__main__ import main
from desktop.core.projects.locate import project_id
from desktop.core.projects.report import build_report
from desktop.core.projects.views import to_markdown
from desktop.core.usage.prices import price_for
from desktop.paths import DataPaths
from desktop.store.activity import ActivityRepo
from desktop.store.db import Database
from desktop.store.usage_repo import ReplyRow, UsageRepo
from tests.core.progression_events import BASE_STAMP, FIXTURES, Core, all_rows, incoming
from tests.support.git_repos import make_repo

# The recordings ran in /home/dev/project; each is replayed in a repository of its own.
RECORDED_CWD = "/home/dev/project"
REPO_OF = {
    "claude-code-2.1.197-hook-events": "website",
    "claude-code-2.1.197-progression-events": "api-server",
}
GOLDEN_MD = FIXTURES / "report-golden.md"
GOLDEN_JSON = FIXTURES / "report-golden.json"
# The end of the replayed day (the events run from 22:13 UTC for a few minutes).
NOW = datetime.fromtimestamp(BASE_STAMP, UTC).replace(hour=23, minute=59, second=0)


def moved(value: Any, old: str, new: str) -> Any:
    """`value` with every string path under `old` moved under `new`."""
    if isinstance(value, str):
        return new + value[len(old) :] if value.startswith(old) else value
    if isinstance(value, dict):
        return {k: moved(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [moved(v, old, new) for v in value]
    return value


@pytest.fixture
def replayed(tmp_path: Path) -> Iterator[tuple[Core, dict[str, Path]]]:
    repos = {name: make_repo(tmp_path / name) for name in set(REPO_OF.values())}
    core = Core(tmp_path / "db.sqlite3")
    for stem, i, row in all_rows():
        payload = moved(row["payload"], RECORDED_CWD, str(repos[REPO_OF[stem]]))
        core.ingest.ingest(dataclasses.replace(incoming(stem, i, row), payload=payload))
    yield core, repos
    core.close()


def normalized(data: Any, repos: dict[str, Path]) -> Any:
    text = json.dumps(data, indent=2, sort_keys=True)
    for name, path in repos.items():
        text = text.replace(str(path), f"<{name}>")
        text = text.replace(project_id(str(path)), f"<{name} id>")
    return json.loads(text)


def test_the_report_of_the_recorded_day_matches_the_golden_files(
    replayed: tuple[Core, dict[str, Path]],
) -> None:
    core, repos = replayed
    report = build_report(core.db, 1, NOW)
    data = normalized(report.to_json(), repos)
    markdown = to_markdown(report)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_JSON.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        GOLDEN_MD.write_text(markdown)
    assert data == json.loads(GOLDEN_JSON.read_text())
    assert markdown == GOLDEN_MD.read_text()


def test_counts_agree_with_the_recording_itself(
    replayed: tuple[Core, dict[str, Path]],
) -> None:
    """Turns, tool calls, commits and tests, counted straight from the recorded payloads."""
    core, _repos = replayed
    report = build_report(core.db, 1, NOW)
    by_name = {p.key["name"]: p.tally for p in report.projects}
    for stem, name in REPO_OF.items():
        payloads = [row["payload"] for s, _i, row in all_rows() if s == stem]
        names = [p["hook_event_name"] for p in payloads]
        commands = [
            (p["hook_event_name"], (p.get("tool_input") or {}).get("command", ""))
            for p in payloads
            if p.get("tool_name") == "Bash" and p["hook_event_name"].startswith("PostToolUse")
        ]
        tally = by_name[name]
        assert tally.turns == names.count("Stop")
        assert tally.tool_calls == names.count("PostToolUse") + names.count("PostToolUseFailure")
        assert tally.commits == sum(1 for e, c in commands if e == "PostToolUse" and "commit" in c)
        assert tally.test_runs == sum(1 for _e, c in commands if "unittest" in c)
    assert by_name["api-server"].commits == 1 and by_name["api-server"].test_runs == 2
    # Every XP point of the ledger is in the report, and nothing else.
    personas = {p.key["id"]: p.tally.xp for p in report.personas}
    ledger = {pid: snap["xp"] for pid, snap in core.snapshot().items() if snap["xp"]}
    assert personas == ledger


def test_a_day_without_events_says_so_and_days_are_bounded(
    replayed: tuple[Core, dict[str, Path]],
) -> None:
    core, _repos = replayed
    later = NOW.replace(year=NOW.year + 1)
    empty = build_report(core.db, 1, later)
    assert empty.projects == () and empty.totals.xp == 0
    assert "Nothing happened in this time." in to_markdown(empty)
    week = build_report(core.db, 7, NOW.replace(day=NOW.day + 3))
    assert week.totals.turns == build_report(core.db, 1, NOW).totals.turns
    with pytest.raises(ValueError, match="days must be a whole number from 1 to 366"):
        build_report(core.db, 0, NOW)


def test_the_report_command_says_what_is_missing_and_prints_both_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["report", "--data-dir", str(data)]) == 1
    assert f"no database at {DataPaths(data).database}, so nothing to report" in (
        capsys.readouterr().err
    )
    DataPaths(data).ensure()
    Database(DataPaths(data).database).close()
    assert main(["report", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# claude-rpg report: ") and "Nothing happened in this time." in out
    assert main(["report", "--data-dir", str(data), "--days", "7", "--format", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert (as_json["days"], as_json["projects"], as_json["personas"]) == (7, [], [])
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--data-dir", str(data), "--days", "0"])
    assert exit_info.value.code == 2
    assert "days must be a whole number from 1 to 366" in capsys.readouterr().err


def test_tokens_and_cost_count_where_the_session_worked(
    replayed: tuple[Core, dict[str, Path]],
) -> None:
    """Replies read from transcripts (the usage tables) add up per project and persona."""
    core, _repos = replayed
    stem = "claude-code-2.1.197-progression-events"
    session = next(row["payload"]["session_id"] for s, _i, row in all_rows() if s == stem)
    replies = [
        ReplyRow(session, "m1:r1", BASE_STAMP + 1, "claude-opus-4-5", False, "", 100, 50, 1000, 10),
        ReplyRow(session, "m2:r2", BASE_STAMP + 2, "claude-haiku-4", True, "a1", 20, 5, 0, 0),
    ]
    with core.db.session() as s:
        UsageRepo(s).upsert_replies(replies)
    report = build_report(core.db, 1, NOW)
    by_name = {p.key["name"]: p.tally for p in report.projects}
    expected_cost = price_for("claude-opus-4-5").cost(100, 50, 1000, 10) + price_for(
        "claude-haiku-4"
    ).cost(20, 5, 0, 0)
    assert by_name["api-server"].tokens == 1185
    assert by_name["api-server"].cost_usd == pytest.approx(expected_cost)
    assert by_name["website"].tokens == 0
    [urchin] = [p for p in report.personas if p.key["name"] == "Eager Urchin"]
    assert urchin.tally.tokens == 1185
    assert f"| 1,185 | ${expected_cost:,.2f} |" in to_markdown(report)


def test_xp_before_a_span_equals_the_ledger_before_it(
    replayed: tuple[Core, dict[str, Path]],
) -> None:
    # xp_before reads persona XP less the span's awards (not the whole log before it): at
    # every cut through the replayed events it must equal the ledger summed before the cut.
    core, _ = replayed
    with core.db.session() as s:
        repo = ActivityRepo.on_session(s)
        conn = s.connection().connection.driver_connection
        assert conn is not None
        stamps = [r[0] for r in conn.execute("SELECT stamp FROM hook_event ORDER BY stamp")]
        cuts = [stamps[len(stamps) * k // 8] for k in range(1, 8)] + [stamps[-1] + 1]
        for cut in cuts:
            summed = {
                int(pid): int(xp)
                for pid, xp in conn.execute(
                    "SELECT a.persona_id, SUM(a.amount) FROM xp_award a JOIN hook_event e"
                    " ON e.id = a.event_id WHERE e.stamp < ? GROUP BY a.persona_id",
                    (cut,),
                )
                if xp
            }
            assert repo.xp_before(cut) == summed
        assert any(repo.xp_before(cut) for cut in cuts[:-1])
