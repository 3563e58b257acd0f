"""Signed, expiring, single-purpose link tokens (itsdangerous).

A token binds the purpose, the introduction, the member and the introduction's
`state_version` when it was issued. It is only signed, not encrypted, so it
carries ids and nothing personal. Single use comes from the version: any
transition bumps it, and a token for an older version is dead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# "never": the one-tap "never introduce me through Vouch again" (api.never_links).
PURPOSES = frozenset({"consent", "decline", "opt_in", "opt_out", "withdraw", "never"})


@dataclass(frozen=True)
class LinkClaims:
    purpose: str
    introduction_id: str
    member_id: str
    version: int


class TokenError(Exception):
    """The token is tampered, for another purpose, or expired (`expired` says which)."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


class TokenSigner(Protocol):
    def sign(self, claims: LinkClaims) -> str: ...

    def verify(self, purpose: str, token: str, max_age: timedelta) -> LinkClaims: ...


class ItsdangerousSigner:
    """`secret_keys` oldest first: the newest signs, all of them verify (rotation)."""

    def __init__(self, secret_keys: list[str]) -> None:
        if not secret_keys or not all(secret_keys):
            raise ValueError("at least one non-empty secret key is required")
        self._keys = secret_keys

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        return URLSafeTimedSerializer(self._keys, salt=f"vouch.link.{purpose}.v1")

    def sign(self, claims: LinkClaims) -> str:
        payload = [claims.introduction_id, claims.member_id, claims.version]
        return str(self._serializer(claims.purpose).dumps(payload))

    def verify(self, purpose: str, token: str, max_age: timedelta) -> LinkClaims:
        try:
            data = self._serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
        except SignatureExpired:
            raise TokenError("expired", expired=True) from None
        except BadSignature:
            raise TokenError("invalid") from None
        if (
            not isinstance(data, list)
            or len(data) != 3
            or not isinstance(data[0], str)
            or not isinstance(data[1], str)
            or not isinstance(data[2], int)
        ):
            raise TokenError("invalid")
        return LinkClaims(purpose, data[0], data[1], data[2])
