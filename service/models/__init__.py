"""SQLAlchemy 2 typed models. The schema itself comes from `migrations/`, never create_all()."""

from service.models.admin import AdminSignInAttempt, AdminUser
from service.models.audit import AuditEvent
from service.models.base import Base, new_id
from service.models.feedback import Feedback
from service.models.idempotency import IdempotencyRecord
from service.models.introduction import Introduction
from service.models.member import Member, Relationship
from service.models.no_go import IntroducerNoGo
from service.models.outbox import OutboxMessage
from service.models.policy import IntroducerPolicy
from service.models.suppression import SuppressedAddress
from service.models.target_preferences import TargetPreferences
from service.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.models.workspace import ApiKey, Workspace

__all__ = [
    "AdminSignInAttempt",
    "AdminUser",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Feedback",
    "IdempotencyRecord",
    "IntroducerNoGo",
    "IntroducerPolicy",
    "Introduction",
    "Member",
    "OutboxMessage",
    "Relationship",
    "SuppressedAddress",
    "TargetPreferences",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Workspace",
    "new_id",
]
