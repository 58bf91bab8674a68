"""A category's results and files as they may be shown: secrets masked, output bounded.

The pytest plugin already masks and caps what reaches its reports; this is the same for
everything netra-run itself keeps (command suites' reports, crash output, the output log),
and the one place that knows every secret of the category's services.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path
from typing import TypeVar

from netra_runner.plugin.masking import Masker, capped, write_private
from netra_runner.results import Attempt, CategoryResult, TestResult

Texts = TypeVar("Texts", TestResult, Attempt)
LOG_HEAD = LOG_TAIL = 1024 * 1024  # bytes of the output log kept from its start and its end
CHUNK = 64 * 1024


def masked_result(result: CategoryResult, mask: Masker) -> CategoryResult:
    return dataclasses.replace(
        result,
        tests=tuple(_masked_test(t, mask) for t in result.tests),
        reason=mask(result.reason),
        output_tail=capped(mask(result.output_tail)),
    )


def _masked_test(test: TestResult, mask: Masker) -> TestResult:
    """Its texts, and its names too: a parametrized id or a command suite's test name may
    hold a secret, and every report, the console and the history show them."""
    reruns = tuple(_masked_texts(a, mask) for a in test.reruns)
    return dataclasses.replace(
        _masked_texts(test, mask),
        reruns=reruns,
        nodeid=mask(test.nodeid),
        name=mask(test.name),
        classname=mask(test.classname),
        parent=mask(test.parent),
    )


def _masked_texts(result: Texts, mask: Masker) -> Texts:
    """What a test wrote, in a result or an earlier attempt: its message, details, output."""
    return dataclasses.replace(
        result,
        message=mask(result.message),
        details=capped(mask(result.details)),
        output=capped(mask(result.output)),
    )


def seal_log(log: Path, mask: Masker) -> None:
    """Rewrite the output log masked, readable by its owner only, and bounded: its first
    and last megabyte, and how much was dropped between them. Read in chunks: a test that
    printed 200 MB costs two megabytes here, not two hundred."""
    try:
        size = log.stat().st_size
    except FileNotFoundError:
        return
    head, tail, dropped = _head_and_tail(log, size)
    text = mask(head.decode("utf-8", errors="replace"))
    if dropped:
        text += f"\n[... {dropped} bytes dropped by netra-run ...]\n"
        text += mask(tail.decode("utf-8", errors="replace"))
    write_private(log, text)


def _head_and_tail(log: Path, size: int) -> tuple[bytes, bytes, int]:
    with log.open("rb") as handle:
        head = handle.read(LOG_HEAD)
        if size <= LOG_HEAD + LOG_TAIL:
            return head + handle.read(), b"", 0
        chunks: deque[bytes] = deque()
        kept = 0
        while chunk := handle.read(CHUNK):
            chunks.append(chunk)
            kept += len(chunk)
            while kept - len(chunks[0]) >= LOG_TAIL:
                kept -= len(chunks.popleft())
    tail = b"".join(chunks)[-LOG_TAIL:]
    return head, tail, size - len(head) - len(tail)
