"""packaging/: the desktop file, metainfo and icon validate; desktop-entry install works."""

from __future__ import annotations

import configparser
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desktop import __version__
from desktop.__main__ import main
from desktop.freedesktop import APP_ID, DesktopEntryFiles

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
ICON = PACKAGING / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def desktop_values(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser["Desktop Entry"]


def test_the_desktop_file_passes_desktop_file_validate() -> None:
    result = run("desktop-file-validate", str(DESKTOP))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    values = desktop_values(DESKTOP)
    assert values["Exec"] == "claude-rpg"
    assert values["Icon"] == APP_ID
    assert values["Terminal"] == "false"


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    result = run("appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "E:" not in result.stdout and "W:" not in result.stdout, result.stdout


def test_the_metainfo_names_this_release_and_the_launcher() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name  # type: ignore[union-attr]
    versions = [r.get("version") for r in root.iter("release")]
    assert versions[0] == __version__
    assert root.findtext("provides/binary") == "claude-rpg"


def test_the_icon_is_a_scalable_svg_in_the_hicolor_layout() -> None:
    root = ET.parse(ICON).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    x, y, w, h = (float(v) for v in root.get("viewBox", "").split())
    assert (x, y) == (0, 0) and w == h > 0


def test_packaging_points_at_the_files_the_wheel_ships() -> None:
    for path in (DESKTOP, METAINFO, ICON):
        assert path.resolve().parent == REPO / "desktop" / "data", path


def test_desktop_entry_install_and_uninstall(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = DesktopEntryFiles(isolated_dirs / "data")
    assert main(["desktop-entry", "install"]) == 0
    assert all(p.is_file() for p in files.all())
    result = run("desktop-file-validate", str(files.desktop))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    assert Path(desktop_values(files.desktop)["Exec"].split()[0].strip('"')).is_absolute()
    assert files.icon.read_bytes() == ICON.read_bytes()
    assert files.metainfo.read_bytes() == METAINFO.read_bytes()
    assert str(files.desktop) in capsys.readouterr().out
    assert main(["desktop-entry", "uninstall"]) == 0
    assert not any(p.exists() for p in files.all())
    assert main(["desktop-entry", "uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_the_package_carries_its_icons_and_desktop_files() -> None:
    # package-data globs desktop/resources and desktop/data: what is there goes into wheels.
    package = REPO / "desktop"
    assert (package / "resources" / "icons" / "app.svg").is_file()
    for name in (DESKTOP.name, METAINFO.name, ICON.name):
        assert (package / "data" / name).is_file()
