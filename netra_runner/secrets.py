"""What must never be printed or written: the secret values netra-run hands out.

They are the values of secret-looking variables (a service's `env`, a category's `env`)
and passwords inside URLs (the exports: postgresql://user:PASSWORD@host). Like a CI
system's registered secrets, they are masked wherever test output lands: the console,
every report, the event stream and the per-category files.

Imported by the pytest plugin in every test process: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "******"
MASK_VARIABLE = "NETRA_MASK"  # a JSON list of the values a suite's plugin masks
MIN_LENGTH = 3  # masking 'a' or '12' everywhere would hide the output, and protect nothing
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def secrets_in(env: Mapping[str, str]) -> list[str]:
    """Secret-looking variables' values and every URL password in the values."""
    found = [value for key, value in env.items() if is_secret_name(key)]
    found += [m[2] for value in env.values() for m in _URL_PASSWORD.finditer(value)]
    return found


class Masker:
    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", text)


TEXT_CAP = 64 * 1024  # characters of one test's output (or traceback) that reports keep


def capped(text: str, limit: int = TEXT_CAP) -> str:
    """The head and the tail of a long text, and how much was dropped between them."""
    if len(text) <= limit + 100:  # what capped() returns passes again unchanged
        return text
    half = limit // 2
    dropped = len(text) - 2 * half
    return f"{text[:half]}\n[... {dropped} characters dropped by netra-run ...]\n{text[-half:]}"
