"""What a push sends, and what to compare it with: the pre-push check's base.

git hands a pre-push hook one line per ref on stdin: local ref, local sha, remote ref,
remote sha (all zeros for a branch the remote does not have yet, or for a deletion). The
hook passes them on in NETRA_PUSH_REFS. A branch the remote has is compared with what the
remote has; a new one with where it left the remote's default branch, or else with the
commits no remote has yet; with nothing at all to compare with (a repository's first push)
there is no base, and the check runs everything within its budget. Never an error: a push
cannot fix the want of an upstream it is about to create.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REFS = "NETRA_PUSH_REFS"
REMOTE = "NETRA_PUSH_REMOTE"
_ZERO = re.compile("0+")
_SHA = re.compile("[0-9a-f]{4,64}")  # what git hands a hook; nothing else reaches git's argv


@dataclass(frozen=True)
class Pushed:
    local_sha: str
    remote_sha: str

    @property
    def deletes(self) -> bool:
        return bool(_ZERO.fullmatch(self.local_sha))

    @property
    def is_new(self) -> bool:
        return bool(_ZERO.fullmatch(self.remote_sha))


def parse(text: str) -> list[Pushed]:
    pushed = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and _SHA.fullmatch(parts[1]) and _SHA.fullmatch(parts[3]):
            pushed.append(Pushed(parts[1], parts[3]))
    return pushed


def pushed_files(root: Path) -> list[str] | None:
    """Files the push changes, relative to root; None when there is nothing to compare with."""
    from_ref = os.environ.get("PRE_COMMIT_FROM_REF")  # pre-commit's pre-push stage
    if from_ref:
        return _diff(root, from_ref, os.environ.get("PRE_COMMIT_TO_REF") or "HEAD")
    remote = os.environ.get(REMOTE) or None
    if REFS in os.environ:
        return _files_of(root, parse(os.environ[REFS]), remote)
    if _git(root, "rev-parse", "--verify", "--quiet", "@{upstream}") is not None:
        return _diff(root, "@{upstream}", "HEAD")
    return _files_of(root, [Pushed("HEAD", "0")], remote)


def _files_of(root: Path, pushed: list[Pushed], remote: str | None) -> list[str] | None:
    files: set[str] = set()
    for ref in pushed:
        if ref.deletes:
            continue  # nothing of ours goes anywhere
        base = ref.remote_sha if not ref.is_new and _exists(root, ref.remote_sha) else None
        base = base or _new_branch_base(root, ref.local_sha, remote)
        if base is None:
            return None
        files |= set(_diff(root, base, ref.local_sha) or [])
    return sorted(files)


def _new_branch_base(root: Path, sha: str, remote: str | None) -> str | None:
    """Where the branch left the remote's default branch; else the parent of its oldest
    commit that no remote has; None when no commit of it is on any remote."""
    for default in _defaults(root, remote):
        base = _git(root, "merge-base", sha, default)
        if base:
            return base
    fresh = _git(root, "rev-list", "--topo-order", "--reverse", sha, "--not", "--remotes")
    if fresh is None:
        return None
    if not fresh:
        return sha  # all of it is on a remote already
    return _git(root, "rev-parse", "--verify", "--quiet", f"{fresh.split()[0]}^")


def _defaults(root: Path, remote: str | None) -> list[str]:
    names = [remote] if remote else (_git(root, "remote") or "").split()
    found = []
    for name in names:
        head = _git(root, "symbolic-ref", "--quiet", f"refs/remotes/{name}/HEAD")
        candidates = [head] if head else [f"refs/remotes/{name}/{b}" for b in ("main", "master")]
        found += [c for c in candidates if _exists(root, c)]
    return found


def _exists(root: Path, ref: str) -> bool:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None


def _diff(root: Path, base: str, tip: str) -> list[str] | None:
    out = _git(root, "diff", "--name-only", "--relative", f"{base}...{tip}")
    return None if out is None else [line for line in out.splitlines() if line]


def _git(root: Path, *args: str) -> str | None:
    """git's output, or None when it fails: here a failure only means 'not known'."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
