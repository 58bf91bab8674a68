"""User text (descriptions, paths, commands, test messages) shown as text, never obeyed.

rich reads '[/]' or '[link=...]' in a plain string as markup, and a terminal obeys escape
sequences; both are the user's words here, so markup is never parsed and control
characters (and the invisible ones that reorder a line) are shown as escapes.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 but tab and newline, DEL, C1, and the bidirectional overrides ("Trojan Source").
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    return _HIDDEN.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), text)


def shown(text: str, style: str = "") -> Text:
    return Text(visible(text), style=style)
