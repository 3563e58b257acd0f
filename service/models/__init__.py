"""SQLAlchemy 2 typed models. The schema itself comes from `migrations/`, never create_all()."""

from service.models.audit import AuditEvent
from service.models.base import Base, new_id
from service.models.idempotency import IdempotencyRecord
from service.models.introduction import Introduction
from service.models.member import Member, Relationship
from service.models.outbox import OutboxMessage
from service.models.workspace import ApiKey, Workspace

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "IdempotencyRecord",
    "Introduction",
    "Member",
    "OutboxMessage",
    "Relationship",
    "Workspace",
    "new_id",
]
