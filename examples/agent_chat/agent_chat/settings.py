"""Settings come from the environment only: DATABASE_URL, REDIS_URL, AGENT_CHAT_SECRET."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(Exception):
    """A required setting is missing."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    secret: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        names = ("DATABASE_URL", "REDIS_URL", "AGENT_CHAT_SECRET")
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise SettingsError(f"set {', '.join(missing)} in the environment")
        return cls(*(env[name] for name in names))
