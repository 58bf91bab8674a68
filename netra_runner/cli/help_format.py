"""`netra-run --help` in the user's words: options grouped (selection, services, execution,
reports), a usage line that shows test paths, node ids and `--`, command summaries that are
not cut, and arguments named by what they are, never by a Python type.

typer vendors click from 0.22 on and used click itself before: its objects are typed Any."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

USAGE = "[OPTIONS] [PATH | NODE_ID]... [-- PYTEST_ARGS...]"
OTHER = "Options"
SUMMARY = 200  # characters of a command's summary: its whole first sentence


def _sections(command: Any, ctx: Any) -> dict[str, list[tuple[str, str]]]:
    """Help records by panel: arguments first, then options by their `rich_help_panel`."""
    panels: dict[str, list[tuple[str, str]]] = {}
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            extra = " [required]" if param.required else ""
            record = (param.metavar or param.name.upper(), f"{param.help or ''}{extra}")
            panels.setdefault("Arguments", []).append(record)
            continue
        found = param.get_help_record(ctx)
        if found is not None:
            panels.setdefault(getattr(param, "rich_help_panel", None) or OTHER, []).append(found)
    return panels


def _write(panels: dict[str, list[tuple[str, str]]], formatter: Any) -> None:
    ordered = sorted(panels.items(), key=lambda item: item[0] == OTHER)  # --help and such last
    for panel, records in ordered:
        with formatter.section(panel):
            formatter.write_dl(records)


class HelpGroup(TyperGroup):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        if ctx.parent is not None:  # a group of subcommands: click's own line
            super().format_usage(ctx, formatter)
            return
        formatter.write_usage(ctx.command_path, USAGE)
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="       ")

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _write(_sections(self, ctx), formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [
            (name, command.get_short_help_str(SUMMARY))
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class HelpCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = ["[OPTIONS]"]  # --help at least
        for param in self.params:
            if param.param_type_name == "argument":
                word = param.metavar or param.name.upper()
                word += "..." if param.nargs == -1 else ""
                pieces.append(word if param.required else f"[{word}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _write(_sections(self, ctx), formatter)


def grouped(**settings: Any) -> dict[str, Any]:
    """typer.Typer's settings for a group whose help reads as netra-run's."""
    return {"cls": HelpGroup, "rich_markup_mode": None, **settings}
