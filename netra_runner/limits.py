"""Upper bounds on numbers a user can type, in config and on the command line alike.

Each is far past any real use, and each keeps a typo from turning into hours, gigabytes or
an overflow deep inside a run (an alarm of 10**4000 seconds, 10**20 shards).
"""

from __future__ import annotations

MAX_SECONDS = 7 * 24 * 3600.0  # a timeout, a budget: a week
MAX_RETRIES = 100
MAX_WORKERS = 1024
MAX_SHARDS = 10_000
