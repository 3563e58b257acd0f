"""The reputation risk of a new request, as the introducer sees it. Pure and deterministic.

Inputs are plain values (see `RiskInputs`); the same inputs always give the same
assessment. The score is the sum of five parts, capped at 100:

    familiarity   40 if the introducer has no relationship with the requester,
                  else 8 x (5 - trust)              -> 0 (would vouch) .. 32 (met once)
    stake         5 x (trust_in_target - 1)          -> 0 (met once) .. 20 (would vouch)
    track record  round(40 x max(0, 0.5 - r)), r = the requester's smoothed
                  reputation as requester, (positive + 1) / (rated + 2)
                                                     -> 0 (no history or good) .. <20
    declines      5 x requests of the requester declined (by the introducer or the
                  target) in the last 90 days, at most 10
    open requests 2 x the requester's other open requests, at most 10

Level: low below 35, medium from 35, high from 60. For example: trusted at
"worked together" (16) with a target at "trusted" (15) and no history scores
31, low; an unrated requester (40) with a target at "would vouch" (20) scores
60, high.

The stake is the introducer's own trust in the target: the target's trust in
the introducer is the target's private rating and is never shown to anyone else.
Reasons are plain sentences with names, one per part that applies, in the order
above.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.reputation import Reputation

TRUST_WORDS = {
    1: "met once",
    2: "acquainted",
    3: "worked together",
    4: "trusted",
    5: "would vouch",
}
LOW, MEDIUM, HIGH = "low", "medium", "high"
MEDIUM_FROM = 35
HIGH_FROM = 60
NO_RELATIONSHIP_POINTS = 40
MAX_DECLINE_POINTS = 10
MAX_OPEN_POINTS = 10
DECLINE_DAYS = 90


@dataclass(frozen=True)
class RiskInputs:
    requester_name: str
    target_name: str
    trust_in_requester: int | None
    trust_in_target: int
    requester_reputation: Reputation
    # Of the requester's most recent rated introductions (newest first, a few):
    recent_rated: int
    recent_negative: int
    recent_declines: int
    other_open_requests: int


@dataclass(frozen=True)
class Assessment:
    level: str
    score: int
    reasons: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"level": self.level, "score": self.score, "reasons": list(self.reasons)}


def level_for(score: int) -> str:
    if score >= HIGH_FROM:
        return HIGH
    if score >= MEDIUM_FROM:
        return MEDIUM
    return LOW


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def assess(inputs: RiskInputs) -> Assessment:
    """The assessment of one request; see the module docstring for the formula."""
    name, target = inputs.requester_name, inputs.target_name
    reasons: list[str] = []

    trust = inputs.trust_in_requester
    if trust is None:
        familiarity = NO_RELATIONSHIP_POINTS
        reasons.append(f"You have not rated {name}: you have no relationship with them on record.")
    else:
        familiarity = 8 * (5 - trust)
        reasons.append(f"You rated {name} '{TRUST_WORDS[trust]}'.")

    stake_trust = inputs.trust_in_target
    stake = 5 * (stake_trust - 1)
    reasons.append(
        f"You trust {target} at level {stake_trust} ('{TRUST_WORDS[stake_trust]}'): "
        f"your standing with {target} is at stake."
    )

    rep = inputs.requester_reputation
    track = round(40 * max(0.0, 0.5 - rep.score))
    if inputs.recent_rated == 0:
        reasons.append(f"{name} has no feedback from earlier introductions yet.")
    else:
        reasons.append(
            f"{inputs.recent_negative} of {name}'s last "
            f"{_plural(inputs.recent_rated, 'introduction')} got negative feedback."
        )

    declines = min(MAX_DECLINE_POINTS, 5 * inputs.recent_declines)
    if inputs.recent_declines:
        reasons.append(
            f"{_plural(inputs.recent_declines, 'request')} from {name} "
            f"{'was' if inputs.recent_declines == 1 else 'were'} declined "
            f"in the last {DECLINE_DAYS} days."
        )

    open_points = min(MAX_OPEN_POINTS, 2 * inputs.other_open_requests)
    if inputs.other_open_requests:
        reasons.append(f"{name} has {_plural(inputs.other_open_requests, 'other open request')}.")

    score = max(0, min(100, familiarity + stake + track + declines + open_points))
    return Assessment(level=level_for(score), score=score, reasons=reasons)
