"""API key format, hashing and constant-time checking.

A key reads `vouch_<prefix>_<secret>`: the prefix is stored in clear to find
the row (and is what operators see); only the SHA-256 of the whole key is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "vouch"


def generate_key() -> tuple[str, str, str]:
    """Returns (full key shown once, visible prefix, hash to store)."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)
