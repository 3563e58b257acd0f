"""Contact details: email required and normalised, phone and links optional but checked."""

from __future__ import annotations

from typing import Any

import pytest

from service.contacts import MAX_LINKS, clean_contact
from service.errors import InvalidInput


def test_a_full_contact_is_kept_and_the_email_domain_normalised() -> None:
    cleaned = clean_contact(
        {"email": "Ann@Example.COM", "phone": "+44 (20) 7946-0000", "links": ["https://a.example"]}
    )
    assert cleaned == {
        "email": "Ann@example.com",
        "phone": "+44 (20) 7946-0000",
        "links": ["https://a.example"],
    }


def test_only_the_email_is_required() -> None:
    assert clean_contact({"email": "a@example.com"}) == {
        "email": "a@example.com",
        "phone": None,
        "links": [],
    }


def _errors(contact: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as raised:
        clean_contact(contact)
    assert raised.value.errors is not None
    return raised.value.errors


@pytest.mark.parametrize("email", [None, "", 5, "plain", "a@", "@b.com", "a b@c.com", "a@b@c.com"])
def test_a_missing_or_invalid_email_is_a_field_error(email: Any) -> None:
    assert list(_errors({"email": email})) == ["contact.email"]


@pytest.mark.parametrize("phone", ["call me", "12", "+1" + "2" * 40, 5551234, "+1 555\n0100"])
def test_an_invalid_phone_is_a_field_error(phone: Any) -> None:
    assert "contact.phone" in _errors({"email": "a@example.com", "phone": phone})


@pytest.mark.parametrize(
    "links",
    [
        ["javascript:alert(1)"],
        ["ftp://files.example"],
        ["https://"],
        ["not a url"],
        [5],
        "https://one.example",
        ["https://ok.example"] * (MAX_LINKS + 1),
    ],
)
def test_links_must_be_a_short_list_of_http_urls(links: Any) -> None:
    assert "contact.links" in _errors({"email": "a@example.com", "links": links})


def test_every_bad_field_is_reported_at_once() -> None:
    errors = _errors({"email": "x", "phone": "?", "links": ["mailto:x@y.z"]})
    assert set(errors) == {"contact.email", "contact.phone", "contact.links"}
