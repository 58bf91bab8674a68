"""The command line as a pytest user types it, made into what click can parse.

click gives a command with subcommands no positional arguments of its own, so before it
parses, the words are sorted here: a test path or node id (`tests/x.py::test_y`) becomes
`--file=...`, what follows `--` becomes `--pytest-arg=...` (for every pytest suite), and a
subcommand (`doctor`, `services up`) leaves everything as it was. An option netra-run does
not have, but pytest does, is an error that says to pass it after `--`.
"""

from __future__ import annotations

import functools
from typing import Any

from netra_runner.errors import UsageError

ALWAYS_KNOWN = ("--help",)  # click adds it to every command
# Options whose value may be left out, as pytest-cov's argparse takes them: `--cov` alone
# is `--cov=` (the default source); a next word that is a node id or an option is not its.
OPTIONAL_VALUE = ("--cov",)


def rewrite(words: list[str], group: Any) -> list[str]:
    """The words for click: targets as --file, passthrough as --pytest-arg."""
    valued, known = _options(group)
    flags: list[str] = []
    targets: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            passed = [f"--pytest-arg={arg}" for arg in words[index + 1 :]]
            return [*flags, *(f"--file={t}" for t in targets), *passed]
        if word in OPTIONAL_VALUE:
            value = words[index + 1] if index + 1 < len(words) else None
            taken = value is not None and not value.startswith("-") and "::" not in value
            flags.append(f"{word}={value if taken else ''}")
            index += 2 if taken else 1
            continue
        if word.startswith("-") and word != "-":
            _known(word, known, valued)
            flags.append(word)
            if _needs_value(word, valued) and index + 1 < len(words):
                index += 1
                flags.append(words[index])
        elif not targets and word in group.commands:
            return words  # a subcommand's words are its own
        else:
            targets.append(word)
        index += 1
    return [*flags, *(f"--file={t}" for t in targets)]


def _options(group: Any) -> tuple[set[str], set[str]]:
    """The group's options that take a value, and all of its option names. (A click group:
    typer ships its own click, so it is read by its attributes.)"""
    valued: set[str] = set()
    known: set[str] = set(ALWAYS_KNOWN)
    for param in group.params:
        if param.param_type_name == "option":
            names = {*param.opts, *param.secondary_opts}
            known |= names
            if not param.is_flag and not param.count:
                valued |= set(param.opts)
    return valued, known


def _needs_value(word: str, valued: set[str]) -> bool:
    """Whether the next word is this option's value (`-k expr`, not `-k=expr` or `-n2`)."""
    if word.startswith("--"):
        return "=" not in word and word in valued
    for position, letter in enumerate(word[1:], start=1):
        if f"-{letter}" in valued:
            return position == len(word) - 1  # -n2 holds its value; -xn takes the next word
    return False


def _known(word: str, known: set[str], valued: set[str]) -> None:
    """An option pytest has and netra-run has not says where it goes. -xs: each letter is
    an option of its own, up to one that takes a value (the rest is that value)."""
    names = [word.split("=", 1)[0]] if word.startswith("--") else _cluster(word, valued)
    for name in names:
        if name not in known and name in pytest_options():
            raise UsageError(
                f"{name} is pytest's option, not netra-run's; pass pytest options after --, "
                f"for every pytest suite: netra-run ... -- {word}"
            )


def _cluster(word: str, valued: set[str]) -> list[str]:
    names = []
    for letter in word[1:]:
        names.append(f"-{letter}")
        if f"-{letter}" in valued:
            break
    return names


@functools.cache
def pytest_options() -> frozenset[str]:
    """Every option pytest and its installed plugins know (read only when a word is not
    netra-run's: it costs pytest's import)."""
    try:
        from _pytest.config import get_config

        config = get_config()
        config.pluginmanager.load_setuptools_entrypoints("pytest11")
        parser = config._parser
        options = [*parser._anonymous.options, *(o for g in parser._groups for o in g.options)]
    except Exception:  # a broken plugin: then no option is known as pytest's
        return frozenset()
    return frozenset(name for option in options for name in option.names())
