"""Settings the domain needs, as plain values (the web layer fills them from config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://127.0.0.1:5000"
    open_request_cap: int = 5
    consent_window: timedelta = timedelta(days=7)
    opt_in_window: timedelta = timedelta(days=14)
    link_max_age: dict[str, timedelta] = field(default_factory=dict)
    mail_domain: str = "vouch.local"
    product_name: str = "Vouch"
    # Feedback is accepted this long after an introduction connected.
    feedback_window: timedelta = timedelta(days=30)
    # After a decline or expiry, the same requester, introducer and target wait this long.
    decline_cooldown: timedelta = timedelta(days=30)
    # Keys of the suppression list's address hashes, newest last (service.suppression).
    suppression_keys: tuple[bytes, ...] = (b"vouch-unset-suppression-key",)

    def link_age(self, purpose: str) -> timedelta:
        """How long a link for `purpose` stays valid (default: the longest window)."""
        return self.link_max_age.get(purpose, self.opt_in_window)
