"""The suppression list's keyed hash (no database)."""

from __future__ import annotations

from api.composition import suppression_keys
from service.suppression import address_hash, derive_suppression_key

KEY = derive_suppression_key("secret-one")


def test_the_hash_ignores_case_and_surrounding_space() -> None:
    assert address_hash(KEY, "  Tia@Example.COM ") == address_hash(KEY, "tia@example.com")


def test_the_hash_is_keyed_and_does_not_contain_the_address() -> None:
    digest = address_hash(KEY, "tia@example.com")
    assert len(digest) == 64 and "tia" not in digest
    assert digest != address_hash(derive_suppression_key("secret-two"), "tia@example.com")
    assert digest != address_hash(KEY, "tia@example.org")


def test_keys_follow_secret_rotation_newest_last() -> None:
    keys = suppression_keys({}, ["old-secret", "new-secret"])
    assert keys == (derive_suppression_key("old-secret"), derive_suppression_key("new-secret"))


def test_a_dedicated_suppression_key_wins() -> None:
    assert suppression_keys({"SUPPRESSION_KEY": "long-lived"}, ["a", "b"]) == (b"long-lived",)
