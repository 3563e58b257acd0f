"""API keys: shown once, stored as a hash, found by a visible prefix."""

from __future__ import annotations

import pytest

from service.api_keys import KEY_PREFIX, generate_key, hash_key, matches, split_key


def test_a_generated_key_carries_its_prefix_and_only_its_hash_is_kept() -> None:
    key, prefix, digest = generate_key()
    assert key.startswith(f"{KEY_PREFIX}_{prefix}_")
    assert split_key(key) == prefix
    assert digest == hash_key(key)
    assert key not in digest and len(digest) == 64
    assert matches(key, digest)


def test_keys_are_unique_and_long() -> None:
    keys = {generate_key()[0] for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) > 50 for k in keys)


def test_a_single_changed_character_does_not_match() -> None:
    key, _prefix, digest = generate_key()
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert not matches(tampered, digest)
    assert not matches("", digest)


@pytest.mark.parametrize(
    "key",
    ["", "vouch", "vouch_", "vouch_short_secret", "other_0123456789ab_secret",
     "vouch_0123456789a_secret", "VOUCH_0123456789ab_secret", "0123456789ab"],
)  # fmt: skip
def test_malformed_keys_have_no_prefix(key: str) -> None:
    assert split_key(key) is None


def test_a_secret_may_contain_underscores() -> None:
    assert split_key("vouch_0123456789ab_se_cr_et") == "0123456789ab"
