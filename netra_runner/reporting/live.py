"""The live console for terminals: services, a bar per category, what each worker runs, ETA.

Drawn by rich's Live at most 10 times a second from a RunProgress; anything printed on the
same console while it is up (failures, progress lines) appears above it, never torn.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.live import Live
from rich.text import Text

from netra_runner.events import Event
from netra_runner.reporting.progress import CategoryState, RunProgress, ServiceState

REFRESHES_PER_SECOND = 10
BAR_WIDTH = 20
NAME_WIDTH = 16
_FINISHED_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}


class LiveConsole:
    def __init__(self, out: Console, progress: RunProgress) -> None:
        self.progress = progress
        self._lock = threading.Lock()
        self._live = Live(
            console=out,
            get_renderable=self._render,
            refresh_per_second=REFRESHES_PER_SECOND,
            transient=True,  # the summary replaces it at the end
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def on_event(self, event: Event) -> None:
        with self._lock:
            self.progress.apply(event)

    def _render(self) -> RenderableType:
        with self._lock:
            return view(self.progress, time.time())

    def __enter__(self) -> LiveConsole:
        self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.stop()


def view(progress: RunProgress, now: float) -> RenderableType:
    lines: list[RenderableType] = []
    if progress.services:
        lines.append(_services(list(progress.services.values()), now))
    for category in progress.categories.values():
        lines.append(_category(category, now))
        if category.started and not category.finished:
            lines += _workers(progress, category.name)
    lines.append(_clock(progress, now))
    return Group(*lines)


def _services(services: list[ServiceState], now: float) -> Text:
    line = Text(" services ", style="bold", no_wrap=True, overflow="ellipsis")
    for service in services:
        if service.state == "healthy":
            line.append(f" {service.name} ", style="green")
            line.append(f"healthy {service.seconds or 0:.1f}s ", style="dim")
        elif service.state == "failed":
            line.append(f" {service.name} failed ", style="bold red")
        else:
            line.append(f" {service.name} ", style="yellow")
            line.append(f"starting {now - service.since:.1f}s ", style="dim")
    return line


def _category(category: CategoryState, now: float) -> Text:
    line = Text(f" {_fit(category.name, NAME_WIDTH):<{NAME_WIDTH}} ", no_wrap=True)
    line.overflow = "ellipsis"
    total, done = category.total, category.completed
    line.append_text(_bar(done, total, failed=category.failed > 0, active=bool(category.started)))
    line.append(f" {done:>5}/{total if total is not None else '?':<5}")
    failures = category.done["failed"] + category.done["crashed"]
    errors = category.done["error"]
    if failures:
        line.append(f" {failures} failed", style="bold red")
    if errors:
        line.append(f" {errors} {'error' if errors == 1 else 'errors'}", style="bold red")
    if category.finished:
        style = _FINISHED_STYLE.get(category.finished, "yellow")
        # "1 failed failed" says nothing twice: the counts already say how it ended
        counted = category.finished in ("failed", "error") and (failures or errors)
        status = "" if counted else f" {category.finished}"
        line.append(f"{status} {category.duration:.1f}s", style=style)
    elif category.started:
        line.append(f" {now - category.started:.1f}s", style="dim")
    else:
        line.append(f" {category.waiting or 'waiting'}", style="dim")
    return line


def _bar(done: int, total: int | None, failed: bool, active: bool) -> Text:
    if not total:
        return Text("─" * BAR_WIDTH, style="bright_black")
    filled = min(BAR_WIDTH, round(BAR_WIDTH * done / total))
    style = "red" if failed else "green" if done == total else "cyan" if active else "dim"
    bar = Text("━" * filled, style=style)
    bar.append("─" * (BAR_WIDTH - filled), style="bright_black")
    return bar


def _workers(progress: RunProgress, category: str) -> list[KeepEnd]:
    running = sorted((w, t) for (c, w), t in progress.running.items() if c == category)
    return [KeepEnd(f"   {worker:<5} ", test) for worker, test in running]


class KeepEnd:
    """A prefix and a test id cut from its start to fit the line: the end of an id (the
    test's name) is what differs between workers."""

    def __init__(self, prefix: str, text: str) -> None:
        self.prefix = prefix
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = max(options.max_width - len(self.prefix), 1)
        text = self.text if len(self.text) <= room else "…" + self.text[-(room - 1) :]
        yield Text(self.prefix + text, style="dim", no_wrap=True, overflow="crop")


def _clock(progress: RunProgress, now: float) -> Text:
    left, complete = progress.eta()
    eta = f"ETA {'' if complete else '>'}{_duration(left)}" if left or complete else "ETA ?"
    return Text(f" elapsed {_duration(progress.elapsed(now))} · {eta}", style="bold")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
