"""The suppression list: "never introduce me through Vouch again".

What is stored is `HMAC-SHA256(key, normalised address)` in hex, never the
address. The key is `HMAC-SHA256(SECRET_KEY, "vouch.suppression.v1")`, one per
configured secret key (SECRET_KEY and SECRET_KEY_FALLBACKS), or SUPPRESSION_KEY
when set. Writes use the newest key, checks try all of them, so rotating
SECRET_KEY keeps the list working while the old key stays a fallback; set
SUPPRESSION_KEY to a long-lived random value to be independent of rotation.
A keyed hash, unlike a plain one, cannot be reversed by hashing a list of
known addresses without the key.

Normalisation: trimmed and lower-cased (the local part too: most providers
ignore case, and suppressing too much is the safe side). The list is global to
the installation (one "never" covers every workspace) and is not touched by
a member's erasure.

Checked (`is_suppressed`) before any email to a target is queued
(service.notifications), before a request is accepted (service.use_cases.
introductions: `target_not_reachable`, the same answer as a target the
introducer cannot introduce) and at consent (`target_unavailable`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import SuppressedAddress

CONTEXT = b"vouch.suppression.v1"


def derive_suppression_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), CONTEXT, hashlib.sha256).digest()


def normalise(address: str) -> str:
    return address.strip().lower()


def address_hash(key: bytes, address: str) -> str:
    return hmac.new(key, normalise(address).encode(), hashlib.sha256).hexdigest()


def is_suppressed(session: Session, keys: tuple[bytes, ...], address: str) -> bool:
    hashes = [address_hash(k, address) for k in keys]
    found = session.scalar(
        select(SuppressedAddress.address_hash)
        .where(SuppressedAddress.address_hash.in_(hashes))
        .limit(1)
    )
    return found is not None


def suppress(session: Session, keys: tuple[bytes, ...], address: str, at: datetime) -> None:
    """Put `address` on the list (idempotent)."""
    if is_suppressed(session, keys, address):
        return
    session.add(SuppressedAddress(address_hash=address_hash(keys[-1], address), created_at=at))
