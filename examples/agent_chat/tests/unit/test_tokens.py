from __future__ import annotations

import pytest
from agent_chat.tokens import TokenError, issue_token, verify_token


def test_a_token_names_the_user_it_was_issued_to() -> None:
    assert verify_token(issue_token("alice", "s3cret"), "s3cret") == "alice"


def test_a_token_signed_with_another_secret_is_forged() -> None:
    with pytest.raises(TokenError, match="invalid token signature"):
        verify_token(issue_token("alice", "other"), "s3cret")


def test_a_tampered_token_is_forged() -> None:
    token = issue_token("alice", "s3cret")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(TokenError, match="invalid token signature"):
        verify_token(tampered, "s3cret")


@pytest.mark.parametrize("token", [None, ""])
def test_a_missing_token_says_how_to_send_one(token: str | None) -> None:
    with pytest.raises(TokenError, match=r"missing token: connect with \?token="):
        verify_token(token, "s3cret")


def test_an_old_token_is_expired() -> None:
    with pytest.raises(TokenError, match="token expired"):
        verify_token(issue_token("alice", "s3cret"), "s3cret", max_age=-1)


def test_garbage_is_not_a_token() -> None:
    with pytest.raises(TokenError, match="invalid token signature"):
        verify_token("not-a-token", "s3cret")
