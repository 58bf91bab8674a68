"""What must never be printed or written: the secret values netra-run hands out.

They are the values of secret-looking variables (a service's `env`, a category's `env`)
and passwords inside URLs (the exports: postgresql://user:PASSWORD@host). Like a CI
system's registered secrets, they are masked wherever test output lands: the console,
every report, the event stream and the per-category files.

Imported by the pytest plugin in every test process: standard library only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

MASK = "******"
MIN_LENGTH = 3  # masking 'a' or '12' everywhere would hide the output, and protect nothing
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH", re.IGNORECASE)
# RFC 3986 userinfo holds no '/': http://host:8080/p?to=a@b has no password.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s/]+)(@)")
# libpq's keyword DSN and ODBC/JDBC strings: password=VALUE, password='VAL UE', Pwd=VALUE;
_KEYWORD_PASSWORD = re.compile(
    r"(\b(?:password|passwd|pwd)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'\";&]+)", re.IGNORECASE
)
# Text cut short around an ellipsis: the piece before it and the piece after it.
_CUT = re.compile(r"(?P<head>[^\s'\"]+)?(?P<dots>\.\.\.|\u2026)(?P<tail>[^\s'\"]+)?")
MIN_PIECE = 4  # a shorter piece of a secret says too little to hide, and is in every word
# After a word, what makes it a key (password=..., "password": ...), not a value.
_KEY_AFTER = re.compile(r"\s*=(?!=)|\"\s*:")


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def secrets_in(env: Mapping[str, str]) -> list[str]:
    """Secret-looking variables' values and every password in the values (URLs, DSNs)."""
    found = [value for key, value in env.items() if is_secret_name(key)]
    for value in env.values():
        found += [m[2] for m in _URL_PASSWORD.finditer(value)]
        found += [m[2].strip("'") for m in _KEYWORD_PASSWORD.finditer(value)]
    return found


class Masker:
    """Hides the values, never the shape around them: in `user=postgres password=pw` only
    `pw` goes, even where a secret is also a key's name (`password=password`)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)
        # Hidden wherever it stands, inside other words too ("pw_" + secret, f"x{secret}x"),
        # as CI systems mask registered secrets: a word boundary let those through.
        alternatives = "|".join(re.escape(v) for v in self.values)
        self._known = re.compile(alternatives) if alternatives else None

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(lambda found: _hidden(found, text), text)
            if "..." in text or "\u2026" in text:
                text = _CUT.sub(self._cut_piece, text)
        if "=" not in text and "://" not in text:  # no URL, no key=value: nothing more to hide
            return text
        text = _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", text)
        return _KEYWORD_PASSWORD.sub(rf"\g<1>{MASK}", text)

    def _cut_piece(self, found: re.Match[str]) -> str:
        """A secret shortened where it is shown (pydantic's `'changethis-...-value'`, a repr
        cut to a width): its head before the ellipsis, its tail after it."""
        head, dots, tail = found["head"] or "", found["dots"], found["tail"] or ""
        if len(head) >= MIN_PIECE and any(v.startswith(head) for v in self.values):
            head = MASK
        if len(tail) >= MIN_PIECE and any(v.endswith(tail) for v in self.values):
            tail = MASK
        return f"{head}{dots}{tail}"


def _hidden(found: re.Match[str], text: str) -> str:
    word = found[0]
    before = text[found.start() - 1] if found.start() else " "
    is_key = (
        word.isidentifier()
        and not (before.isalnum() or before == "_")
        and _KEY_AFTER.match(text, found.end()) is not None
    )
    return word if is_key else MASK


TEXT_CAP = 64 * 1024  # characters of one test's output (or traceback) that reports keep


def capped(text: str, limit: int = TEXT_CAP) -> str:
    """The head and the tail of a long text, and how much was dropped between them."""
    if len(text) <= limit + 100:  # what capped() returns passes again unchanged
        return text
    half = limit // 2
    dropped = len(text) - 2 * half
    return f"{text[:half]}\n[... {dropped} characters dropped by netra-run ...]\n{text[-half:]}"


def write_private(path: Path, text: str) -> None:
    """A file that may have held a secret, replaced whole and readable by its owner only."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    partial.replace(path)


def mask_in_place(path: Path, mask: Masker) -> None:
    """A file of text as it may be kept: masked, and owner-only once anything was masked."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    masked = mask(text)
    if masked != text:
        write_private(path, masked)
