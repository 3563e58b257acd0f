"""Masking contact details for the admin page (revealing them is a separate, audited act)."""

from __future__ import annotations

import re


def mask_email(email: str) -> str:
    """`ann@example.com` -> `a***@example.com`; the domain stays, it helps debugging."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """Keeps the last two digits: `+44 20 7946 0000` -> `***00`."""
    if not phone:
        return None
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-2:])


EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def mask_emails_in(text: str | None) -> str | None:
    """Error messages and audit details can quote an address (an SMTP refusal does)."""
    if not text:
        return text
    return EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
