"""The import contracts in pyproject.toml hold today and catch what the README forbids.

Each run checks a copy of the package, so a violation can be planted without touching the
tree: a new module importing libtmux, a widget reaching the store through a core module, the
UI importing the command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_copy(tmp_path: Path, plant: dict[str, str]) -> subprocess.CompletedProcess[str]:
    shutil.copytree(ROOT / "desktop", tmp_path / "desktop", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line in plant.items():
        with (tmp_path / module).open("a", encoding="utf-8") as f:
            f.write(f"\n{line}  # noqa\n")
    # The copy, not the installed (editable) package, is the one analysed.
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def verdicts(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        for verdict in ("KEPT", "BROKEN"):
            if f" {verdict}" in line:
                found[line.split(f" {verdict}")[0].strip()] = verdict
    return found


def test_every_contract_is_kept_by_the_tree(tmp_path: Path) -> None:
    result = lint_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(verdicts(result.stdout).values()) == {"KEPT"}
    assert len(verdicts(result.stdout)) == 4


def test_contracts_catch_libtmux_anywhere_indirect_store_access_and_ui_to_cli(
    tmp_path: Path,
) -> None:
    result = lint_copy(
        tmp_path,
        {
            # A module no hand-written list named: only client.py may import libtmux.
            "desktop/doctor.py": "import libtmux",
            # A widget reaching the database through a core module that imports the store.
            "desktop/ui/card.py": "from desktop.core.personas import persona_info",
            # The UI depending on the command line (the old shell <-> run cycle).
            "desktop/ui/tray.py": "from desktop.cli import run",
        },
    )
    assert result.returncode != 0
    assert verdicts(result.stdout) == {
        "The core never imports Qt": "KEPT",
        "Only desktop.core.tmux.client imports libtmux": "BROKEN",
        "Widgets never touch the database": "BROKEN",
        "The UI never imports the command line": "BROKEN",
    }
    assert "desktop.doctor -> libtmux" in result.stdout
    assert "desktop.ui.card -> desktop.core.personas" in result.stdout
