"""Agent chat: a small websocket service in the shape of the Netra platform.

A user sends a message over an authenticated websocket and receives the five agent events in
order. Threads and messages live in Postgres; events fan out through Redis pub/sub, so any
server process can deliver them to any of the user's sockets.
"""

__version__ = "0.1.0"
