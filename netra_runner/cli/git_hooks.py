"""`netra-run hooks install`: a git pre-push hook that runs the pre-push profile.

An existing pre-push hook is kept: it is moved aside and run first, with the same arguments
and input, and its failure stops the push as before.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from netra_runner.errors import UsageError

MARK = "# installed by netra-run hooks install"
PREVIOUS = "pre-push.netra-previous"


def hook_script() -> str:
    command = f"{shlex.quote(sys.executable)} -m netra_runner --profile pre-push"
    return f"""#!/bin/sh
{MARK}
# Runs the tests this push touches, inside the pre-push profile's time budget.
here=$(dirname "$0")
input=$(cat)
if [ -x "$here/{PREVIOUS}" ]; then
    printf '%s\\n' "$input" | "$here/{PREVIOUS}" "$@" || exit $?
fi
# What is pushed (git's stdin) tells netra-run what to compare with.
NETRA_PUSH_REFS=$input NETRA_PUSH_REMOTE=$1
export NETRA_PUSH_REFS NETRA_PUSH_REMOTE
exec {command} </dev/null
"""


def hooks_folder(cwd: Path) -> Path:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.CalledProcessError):
        raise UsageError(f"{cwd} is not in a git repository: no hook to install") from None
    return (cwd / done.stdout.strip()).resolve()


def install(cwd: Path) -> str:
    folder = hooks_folder(cwd)
    folder.mkdir(parents=True, exist_ok=True)
    hook = folder / "pre-push"
    note = ""
    if hook.exists():
        if MARK in hook.read_text(errors="replace"):
            hook.write_text(hook_script())
            return f"updated the netra-run pre-push hook in {hook}"
        hook.replace(folder / PREVIOUS)
        note = f"; the existing hook runs first (kept as {PREVIOUS})"
    hook.write_text(hook_script())
    hook.chmod(0o755)
    return f"installed a pre-push hook in {hook}{note}"
