"""The suppression list: keyed hashes of addresses that asked never to be introduced.

Only the hash is stored (see `service.suppression`), so the list survives a
member's erasure without keeping the address readable. It is global: one
"never" covers every workspace of this Vouch installation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class SuppressedAddress(Base):
    __tablename__ = "suppressed_addresses"

    # Hex HMAC-SHA256 of the normalised address.
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
