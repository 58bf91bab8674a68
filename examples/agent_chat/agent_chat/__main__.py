"""`python -m agent_chat`: serve on a port, or on a socket the caller already bound (--fd)."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from agent_chat.app import create_app
from agent_chat.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agent_chat", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fd", type=int, help="serve on this already-listening socket")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"agent_chat: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    if args.fd is not None:
        uvicorn.run(app, fd=args.fd, log_level="warning")
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
