"""Idempotency keys on POST: a retry returns the first response.

`begin` claims the key in its own short transaction (the primary key makes a
concurrent retry fail cleanly); `finish` stores the response; `abandon`
releases the key when the first attempt did not succeed. Only 2xx responses
are stored (api.idempotency): a request refused with a 4xx changed nothing,
so the client may fix it and retry under the same key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from service.deps import Deps
from service.errors import BadRequest, Conflict, RuleViolation
from service.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
TTL = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str


def fingerprint(method: str, path: str, acting_member: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), acting_member.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def begin(deps: Deps, key_id: str, key: str, print_: str) -> StoredResponse | None:
    """Claim `key`; returns the stored response when this is a completed retry."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == key_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.created_at < now - TTL,
            )
        )
        record = uow.session.get(IdempotencyRecord, (key_id, key))
        if record is None:
            uow.session.add(
                IdempotencyRecord(api_key_id=key_id, key=key, fingerprint=print_, created_at=now)
            )
            try:
                uow.commit()
            except IntegrityError:
                raise _in_flight() from None
            return None
        if record.fingerprint != print_:
            raise RuleViolation(
                "This Idempotency-Key was used with a different request.",
                code="idempotency_key_reused",
            )
        if record.status_code is None or record.response_body is None:
            raise _in_flight()
        return StoredResponse(record.status_code, record.response_body)


def _in_flight() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still being processed.",
        code="idempotency_key_in_flight",
    )


def finish(deps: Deps, key_id: str, key: str, status_code: int, body: str) -> None:
    with deps.uow() as uow:
        record = uow.session.get(IdempotencyRecord, (key_id, key))
        if record is not None:
            record.status_code = status_code
            record.response_body = body
            uow.commit()


def abandon(deps: Deps, key_id: str, key: str) -> None:
    with deps.uow() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key
            )
        )
        uow.commit()
