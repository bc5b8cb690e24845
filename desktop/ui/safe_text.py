"""Text from outside the app shown exactly as written, on every surface that could read markup.

Claude's last message, the Bash commands and prompts in a status line, folder, tmux and error
texts are untrusted: Qt renders a tooltip or an AutoText label as HTML when the text merely
looks like rich text (`echo "<b>hi</b>"`), a menu entry takes `&` as a shortcut marker, and a
notification server that advertises "body-markup" parses the body as markup. Every such
surface gets its text through one of these.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def tooltip_html(text: str) -> str:
    """A tooltip showing text literally: escaped, in a paragraph that keeps its spaces and
    lines and does not wrap (as a plain tooltip; Qt would otherwise wrap it narrowly).

    Escaping alone is not enough: Qt only treats a tooltip as rich text when it looks like it,
    so `&amp;` escaped to `&amp;amp;` would then show as is. Wrapped in a paragraph it is always
    rich text, and what it shows is exactly `text`. Text without `<` or `&` can never look
    like rich text to Qt; it stays as it is (and keeps a plain tooltip's look).
    """
    if "<" not in text and "&" not in text:
        return text
    return f'<p style="white-space:pre">{html.escape(text, quote=False)}</p>'


def menu_text(text: str) -> str:
    """A menu entry or title showing text literally (a single `&` would mark a shortcut)."""
    return text.replace("&", "&&")


def markup_body(text: str) -> str:
    """A notification body for a server that reads markup: &, < and > as entities.

    The notification spec's markup is an XML subset that knows only the named entities, so
    quotes stay as they are.
    """
    return html.escape(text, quote=False)


def plain_label(label: QLabel) -> QLabel:
    """The label shows whatever text it is given as plain text, never as rich text."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
