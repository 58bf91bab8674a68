"""pytest's fd capture file, cut to its head and tail before pytest reads it.

pytest reads what a test printed whole into memory at the end of each phase; a test that
prints 200 MB costs it several times that. The capture file is a real file shared with the
test's stdout, so it can be cut in place first. This reaches into pytest's capture plugin
(the file is not public API): when it is not where it is expected, nothing is done, and
the reports are still capped after pytest read it.

Imported by every test process: standard library only.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import Any

KEEP = 128 * 1024  # bytes kept from each end of one phase's output


def shrink(tmpfile: Any) -> None:
    raw = getattr(tmpfile, "buffer", None)
    if not isinstance(raw, io.RawIOBase | io.BufferedIOBase):
        return
    with contextlib.suppress(OSError, ValueError):
        tmpfile.flush()
        size = raw.seek(0, os.SEEK_END)
        if size <= 2 * KEEP + 4096:
            return
        raw.seek(0)
        head = raw.read(KEEP)
        raw.seek(size - KEEP)
        tail = raw.read(KEEP)
        dropped = size - len(head) - len(tail)
        raw.seek(0)
        raw.truncate()
        raw.write(head + f"\n[... {dropped} bytes dropped by netra-run ...]\n".encode() + tail)
