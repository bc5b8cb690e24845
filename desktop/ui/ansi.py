"""ANSI SGR colours (as `tmux capture-pane -e` prints them) turned into HTML for a preview."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

_CSI = re.compile(r"\x1b\[([0-9;:]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")

# xterm's 16 colours, readable on a dark background.
BASIC = (
    "#000000",
    "#cd3131",
    "#0dbc79",
    "#e5e510",
    "#2472c8",
    "#bc3fbc",
    "#11a8cd",
    "#e5e5e5",
    "#666666",
    "#f14c4c",
    "#23d18b",
    "#f5f543",
    "#3b8eea",
    "#d670d6",
    "#29b8db",
    "#ffffff",
)


def color_256(n: int) -> str:
    """The xterm 256-colour palette entry n."""
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = (0, 95, 135, 175, 215, 255)
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return f"#{r:02x}{g:02x}{b:02x}"
    level = 8 + 10 * (n - 232)
    return f"#{level:02x}{level:02x}{level:02x}"


@dataclass(frozen=True)
class Style:
    """The SGR attributes in force."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False

    def css(self) -> str:
        fg, bg = (self.bg, self.fg) if self.reverse else (self.fg, self.bg)
        if self.reverse:
            fg, bg = fg or "#1e1e1e", bg or "#d4d4d4"
        parts = []
        if fg:
            parts.append(f"color:{fg}")
        if bg:
            parts.append(f"background-color:{bg}")
        if self.bold:
            parts.append("font-weight:bold")
        if self.dim:
            parts.append("opacity:0.6")
        if self.italic:
            parts.append("font-style:italic")
        if self.underline:
            parts.append("text-decoration:underline")
        return ";".join(parts)


def _extended(codes: list[int], i: int) -> tuple[str | None, int]:
    """A 38/48 colour (5;n or 2;r;g;b) starting after codes[i]; returns it and the next index."""
    if i + 1 < len(codes) and codes[i + 1] == 5 and i + 2 < len(codes):
        return color_256(codes[i + 2] % 256), i + 3
    if i + 1 < len(codes) and codes[i + 1] == 2 and i + 4 < len(codes):
        r, g, b = (max(0, min(255, c)) for c in codes[i + 2 : i + 5])
        return f"#{r:02x}{g:02x}{b:02x}", i + 5
    return None, len(codes)


_FLAGS: dict[int, Callable[[Style], Style]] = {
    1: lambda s: replace(s, bold=True),
    2: lambda s: replace(s, dim=True),
    3: lambda s: replace(s, italic=True),
    4: lambda s: replace(s, underline=True),
    7: lambda s: replace(s, reverse=True),
    22: lambda s: replace(s, bold=False, dim=False),
    23: lambda s: replace(s, italic=False),
    24: lambda s: replace(s, underline=False),
    27: lambda s: replace(s, reverse=False),
}


def apply_sgr(style: Style, params: str) -> Style:
    """The style after one `ESC [ params m`."""
    codes = [int(p) if p.isdigit() else 0 for p in re.split("[;:]", params)] if params else [0]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            style = Style()
        elif code in _FLAGS:
            style = _FLAGS[code](style)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = replace(style, fg=BASIC[code - 30 if code < 90 else code - 82])
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = replace(style, bg=BASIC[code - 40 if code < 100 else code - 92])
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        elif code in (38, 48):
            color, i = _extended(codes, i)
            style = replace(style, fg=color) if code == 38 else replace(style, bg=color)
            continue
        i += 1
    return style


def ansi_to_html(text: str) -> str:
    """The text as HTML spans, one `<br>` per line; escape sequences other than SGR dropped."""
    out: list[str] = []
    style = Style()
    pos = 0

    def emit(chunk: str) -> None:
        if not chunk:
            return
        escaped = html.escape(chunk).replace(" ", "&nbsp;").replace("\n", "<br>")
        css = style.css()
        out.append(f'<span style="{css}">{escaped}</span>' if css else escaped)

    for match in _CSI.finditer(text):
        emit(text[pos : match.start()])
        pos = match.end()
        if match.group(2) == "m":
            style = apply_sgr(style, match.group(1) or "")
    emit(text[pos:])
    return "".join(out)
