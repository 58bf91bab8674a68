"""Signed user tokens: who is on the other end of a websocket."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "agent-chat.user"
MAX_AGE = 3600


class TokenError(Exception):
    """The token is missing, forged, malformed or expired; the message says which."""


def issue_token(user: str, secret: str) -> str:
    return str(URLSafeTimedSerializer(secret, salt=_SALT).dumps({"user": user}))


def verify_token(token: str | None, secret: str, max_age: int = MAX_AGE) -> str:
    """Return the user the token was issued to."""
    if not token:
        raise TokenError("missing token: connect with ?token=<token>")
    serializer = URLSafeTimedSerializer(secret, salt=_SALT)
    try:
        payload = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("token expired") from None
    except BadSignature:
        raise TokenError("invalid token signature") from None
    user = payload.get("user") if isinstance(payload, dict) else None
    if not isinstance(user, str) or not user:
        raise TokenError("token names no user")
    return user
