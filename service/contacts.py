"""Validating contact details (email required, phone and links optional)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email

from service.errors import InvalidInput

PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")
MAX_LINKS = 10


def clean_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """Normalised `{email, phone, links}` or InvalidInput with per-field errors."""
    errors: dict[str, list[str]] = {}
    email = contact.get("email")
    normalised_email = ""
    if not isinstance(email, str) or not email:
        errors["contact.email"] = ["An email address is required."]
    else:
        try:
            normalised_email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            errors["contact.email"] = [str(exc)]
    phone = contact.get("phone")
    if phone is not None and (not isinstance(phone, str) or not PHONE.match(phone)):
        errors["contact.phone"] = ["Not a phone number (digits, spaces, + ( ) . - /)."]
    links = contact.get("links") or []
    if not isinstance(links, list) or len(links) > MAX_LINKS:
        errors["contact.links"] = [f"At most {MAX_LINKS} links."]
    else:
        for url in links:
            parsed = urlparse(url) if isinstance(url, str) else None
            if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
                errors["contact.links"] = ["Each link must be an http(s) URL."]
                break
    if errors:
        raise InvalidInput("The contact details are not valid.", errors=errors)
    return {"email": normalised_email, "phone": phone or None, "links": list(links)}
