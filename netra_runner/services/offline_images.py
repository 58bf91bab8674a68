"""Build netra-offline/postgres:<major> and netra-offline/redis:<major> with no registry.

For machines with a Docker engine but no registry (DESIGN.md, "Images without a registry"):
the images are made from this host's Debian packages (`postgresql`, `redis-server`). Each
image is a root folder of the binaries, the libraries `ldd` names for them, their share
files and a POSIX-sh entrypoint, imported with the Docker SDK (`docker import`).

`netra-run images build [--only postgres|redis]`; a categories.yaml then names the images
(a profile: `services: {db: {image: netra-offline/postgres:15}}`).
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import docker

from netra_runner.errors import ServiceError, UsageError

UID = 999  # the official images' service user ids
LDD_PATH = re.compile(r"(/\S+) \(0x[0-9a-f]+\)$")
SHELL_TOOLS = (
    "/bin/sh",
    "/bin/mkdir",
    "/bin/chmod",
    "/bin/chown",
    "/bin/rm",
    "/bin/cat",
    "/bin/id",
    "/bin/ls",
    "/usr/bin/setpriv",  # drops root like gosu in the official images
)
NSSWITCH = "passwd: files\ngroup: files\nhosts: files dns\n"

POSTGRES_ENTRYPOINT = r"""#!/bin/sh
# Honours the official image's variables: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
# POSTGRES_HOST_AUTH_METHOD, PGDATA. The database is created in single-user mode, so no
# temporary server ever answers a health check before the real one is up.
set -e
if [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  # As root only long enough to own the data folder (a tmpfs or volume mounts root-owned).
  mkdir -p "$PGDATA"
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --clear-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "error: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile -E UTF8 --no-locale \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" > /tmp/initdb.log 2>&1 \
    || { cat /tmp/initdb.log >&2; exit 1; }
  rm -f /tmp/pwfile
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "host all all all $POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" \
      | postgres --single -D "$PGDATA" -j postgres > /dev/null
  fi
  echo "netra-offline: database initialised"
fi
exec "$@"
"""

REDIS_ENTRYPOINT = r"""#!/bin/sh
# Like the official image: with no config file, accept connections from outside.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --clear-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then shift; set -- redis-server --protected-mode no "$@"; fi
exec "$@"
"""


class RootFolder:
    """An image's files, gathered in memory and written out as one tar stream."""

    def __init__(self) -> None:
        self.tar_bytes = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.tar_bytes, mode="w")  # noqa: SIM115 (closed in finish)
        self.added: set[str] = set()

    def folder(self, path: str, mode: int = 0o755, uid: int = 0) -> None:
        parts = Path(path).parts[1:]
        for end in range(1, len(parts) + 1):
            name = "/".join(parts[:end])
            if name not in self.added:
                info = tarfile.TarInfo(name)
                info.type, info.mode = tarfile.DIRTYPE, mode if end == len(parts) else 0o755
                info.uid = info.gid = uid if end == len(parts) else 0
                self.tar.addfile(info)
                self.added.add(name)

    def text(self, path: str, content: str, mode: int = 0o644) -> None:
        self.folder(str(Path(path).parent))
        data = content.encode()
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size, info.mode = len(data), mode
        self.tar.addfile(info, io.BytesIO(data))
        self.added.add(info.name)

    def copy(self, source: Path, target: str | None = None) -> None:
        """Copy a file's content (links followed) to its own path, or to target."""
        name = (target or str(source)).lstrip("/")
        if name in self.added or not source.exists():
            return
        self.folder("/" + str(Path(name).parent))
        info = self.tar.gettarinfo(str(source.resolve()), arcname=name)
        info.uid = info.gid = 0
        with source.resolve().open("rb") as data:
            self.tar.addfile(info, data)
        self.added.add(name)

    def binary(self, path: Path) -> None:
        self.copy(path)
        for library in shared_libraries(path):
            self.copy(library)

    def tree(self, folder: Path, skip: Iterable[str] = ()) -> None:
        for path in sorted(folder.rglob("*")):
            if path.is_dir() or any(word in path.name for word in skip):
                continue
            if is_elf(path):
                self.binary(path)
            else:
                self.copy(path)

    def users(self, name: str, home: str) -> None:
        self.text(
            "/etc/passwd", f"root:x:0:0:root:/root:/bin/sh\n{name}:x:{UID}:{UID}::{home}:/bin/sh\n"
        )
        self.text("/etc/group", f"root:x:0:\n{name}:x:{UID}:\n")
        self.text("/etc/nsswitch.conf", NSSWITCH)
        self.folder("/tmp", mode=0o1777)

    def finish(self) -> bytes:
        self.tar.close()
        return self.tar_bytes.getvalue()


def shared_libraries(binary: Path) -> list[Path]:
    done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    found = []
    for line in done.stdout.splitlines():
        match = LDD_PATH.search(line.strip())
        if match:
            found.append(Path(match[1]))
    return found


def is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def postgres_root() -> tuple[RootFolder, str, list[str]]:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    if not candidates:
        raise UsageError("no PostgreSQL server here: apt-get install postgresql")
    major = candidates[-1].parts[-3]
    base = Path("/usr/lib/postgresql") / major
    root = RootFolder()
    for tool in SHELL_TOOLS:
        root.binary(Path(tool))
    root.tree(base / "bin")
    root.tree(base / "lib", skip=("llvmjit",))  # JIT would pull in all of LLVM
    root.tree(Path("/usr/share/postgresql") / major)
    root.tree(Path("/usr/share/zoneinfo"))
    root.users("postgres", "/var/lib/postgresql")
    root.folder("/var/lib/postgresql/data", mode=0o700, uid=UID)
    root.folder("/var/run/postgresql", mode=0o2775, uid=UID)
    root.text("/usr/local/bin/docker-entrypoint.sh", POSTGRES_ENTRYPOINT, mode=0o755)
    changes = [
        f"ENV PATH=/usr/local/bin:{base}/bin:/usr/bin:/bin",
        "ENV PGDATA=/var/lib/postgresql/data",
        "ENV TZ=UTC",
        "EXPOSE 5432",
        'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
        'CMD ["postgres"]',
    ]
    return root, major, changes


def redis_root() -> tuple[RootFolder, str, list[str]]:
    server = Path("/usr/bin/redis-server")
    if not server.exists():
        raise UsageError("no Redis server here: apt-get install redis-server")
    version = subprocess.run([str(server), "--version"], capture_output=True, text=True, check=True)
    major = re.search(r"v=(\d+)\.", version.stdout)
    root = RootFolder()
    for tool in SHELL_TOOLS:
        root.binary(Path(tool))
    root.binary(server)
    root.binary(Path("/usr/bin/redis-cli"))
    root.users("redis", "/data")
    root.folder("/data", uid=UID)
    root.text("/usr/local/bin/docker-entrypoint.sh", REDIS_ENTRYPOINT, mode=0o755)
    changes = [
        "ENV PATH=/usr/local/bin:/usr/bin:/bin",
        "WORKDIR /data",
        "EXPOSE 6379",
        'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
        'CMD ["redis-server"]',
    ]
    return root, major[1] if major else "7", changes


BUILDERS = {"postgres": postgres_root, "redis": redis_root}


def build(client: docker.DockerClient, name: str, say: Callable[[str], None] = print) -> str:
    started = time.monotonic()
    root, major, changes = BUILDERS[name]()
    data = root.finish()
    repository = f"netra-offline/{name}"
    client.api.import_image(src=data, repository=repository, tag=major, changes=changes)
    size = len(data) / 2**20
    say(f"built {repository}:{major} ({size:.0f} MiB) in {time.monotonic() - started:.1f}s")
    return f"{repository}:{major}"


def build_images(only: str | None, say: Callable[[str], None]) -> int:
    """`netra-run images build`: each image in turn (or `only` one)."""
    if only is not None and only not in BUILDERS:
        raise UsageError(f"--only expects one of {', '.join(sorted(BUILDERS))}, got {only!r}")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise ServiceError(f"no Docker engine answers ({exc}): the images go into one") from None
    for name in [only] if only else sorted(BUILDERS):
        build(client, name, say)
    return 0
