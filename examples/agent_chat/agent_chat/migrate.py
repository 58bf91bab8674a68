"""Create the schema: run once per test run as the Postgres service's set-up (netra-run
then copies the database to each worker), or by hand before the first start."""

from __future__ import annotations

import asyncio
import os

from agent_chat.store import Store, open_pool


async def migrate(database_url: str) -> None:
    async with open_pool(database_url) as pool:
        await Store(pool).create_schema()


def main() -> None:
    asyncio.run(migrate(os.environ["DATABASE_URL"]))
    print("agent_chat: schema ready")


if __name__ == "__main__":
    main()
