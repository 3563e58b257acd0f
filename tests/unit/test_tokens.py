"""Signed link tokens: one purpose each, tamper-proof, expiring, rotatable keys."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from service.tokens import PURPOSES, ItsdangerousSigner, LinkClaims, TokenError

DAY = timedelta(days=1)


def _claims(purpose: str = "consent", version: int = 3) -> LinkClaims:
    return LinkClaims(purpose, "intro_abc", "mem_xyz", version)


@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_a_token_verifies_for_its_own_purpose(purpose: str) -> None:
    signer = ItsdangerousSigner(["k1"])
    token = signer.sign(_claims(purpose))
    assert signer.verify(purpose, token, DAY) == _claims(purpose)


@pytest.mark.parametrize("signed_for", sorted(PURPOSES))
@pytest.mark.parametrize("used_for", sorted(PURPOSES))
def test_a_token_for_one_purpose_is_useless_for_another(signed_for: str, used_for: str) -> None:
    if signed_for == used_for:
        return
    signer = ItsdangerousSigner(["k1"])
    with pytest.raises(TokenError) as raised:
        signer.verify(used_for, signer.sign(_claims(signed_for)), DAY)
    assert not raised.value.expired


def test_no_changed_character_yields_other_valid_claims() -> None:
    signer = ItsdangerousSigner(["k1"])
    token = signer.sign(_claims())
    refused = 0
    for i in range(len(token)):
        replacement = "A" if token[i] != "A" else "B"
        try:
            claims = signer.verify("consent", token[:i] + replacement + token[i + 1 :], DAY)
        except TokenError:
            refused += 1
        else:
            # Only unused base64 padding bits can absorb a change: same claims.
            assert claims == _claims()
    assert refused >= len(token) - 2


@pytest.mark.parametrize("junk", ["", ".", "a.b.c", "not-a-token", "x" * 5000])
def test_junk_is_refused(junk: str) -> None:
    with pytest.raises(TokenError):
        ItsdangerousSigner(["k1"]).verify("consent", junk, DAY)


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = ItsdangerousSigner(["other"]).sign(_claims())
    with pytest.raises(TokenError) as raised:
        ItsdangerousSigner(["k1"]).verify("consent", token, DAY)
    assert not raised.value.expired


def _signed_at(signer: ItsdangerousSigner, ago: timedelta, mp: pytest.MonkeyPatch) -> str:
    issued_at = time.time() - ago.total_seconds()
    with mp.context() as patch:
        patch.setattr(time, "time", lambda: issued_at)
        return signer.sign(_claims())


def test_an_old_token_is_refused_as_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = ItsdangerousSigner(["k1"])
    token = _signed_at(signer, timedelta(hours=2), monkeypatch)
    assert signer.verify("consent", token, timedelta(hours=3)) == _claims()
    with pytest.raises(TokenError) as raised:
        signer.verify("consent", token, timedelta(hours=1))
    assert raised.value.expired


def test_rotation_old_keys_verify_only_the_newest_signs() -> None:
    old = ItsdangerousSigner(["k1"])
    rotated = ItsdangerousSigner(["k1", "k2"])
    retired = ItsdangerousSigner(["k2"])
    before = old.sign(_claims())
    after = rotated.sign(_claims())
    assert rotated.verify("consent", before, DAY) == _claims(), "fallback keys still verify"
    assert retired.verify("consent", after, DAY) == _claims(), "the newest key signed it"
    with pytest.raises(TokenError):
        old.verify("consent", after, DAY)
    with pytest.raises(TokenError):
        retired.verify("consent", before, DAY)


@pytest.mark.parametrize(
    "payload", [{"intro": "x"}, ["a", "b"], ["a", "b", "3"], [1, "b", 3], "text", None]
)
def test_a_validly_signed_payload_of_the_wrong_shape_is_refused(payload: object) -> None:
    forged = URLSafeTimedSerializer(["k1"], salt="vouch.link.consent.v1").dumps(payload)
    with pytest.raises(TokenError):
        ItsdangerousSigner(["k1"]).verify("consent", str(forged), DAY)


def test_tokens_carry_ids_and_the_version_only() -> None:
    token = ItsdangerousSigner(["k1"]).sign(_claims(version=7))
    payload = URLSafeTimedSerializer(["k1"], salt="vouch.link.consent.v1").loads(token)
    assert payload == ["intro_abc", "mem_xyz", 7]


def test_unknown_purposes_and_missing_keys_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        ItsdangerousSigner(["k1"]).sign(_claims("delete_everything"))
    with pytest.raises(ValueError):
        ItsdangerousSigner([])
    with pytest.raises(ValueError):
        ItsdangerousSigner(["k1", ""])
