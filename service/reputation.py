"""Reputation: how a member's past introductions went, as requester and as introducer.

Formula (Laplace smoothing): score = (positive + 1) / (rated + 2), where `rated`
counts positive, neutral and negative ratings alike. A member with no ratings
scores 0.5; one positive rating gives 0.67, one negative 0.33; the score moves
towards the true ratio as ratings accumulate, so one bad outcome does not brand
a newcomer.

- As requester: the targets' ratings of introductions the member asked for (the
  requester's own rating of the meeting says nothing about the requester).
- As introducer: every rating (requester's and target's) of introductions the
  member made.

Visible to the operator and to the member themself only (service.use_cases.reputation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Feedback, Introduction

RATINGS = ("positive", "neutral", "negative")
RECENT = 5


def smoothed(positive: int, rated: int) -> float:
    """(positive + 1) / (rated + 2): 0.5 with no ratings, always strictly between 0 and 1."""
    if positive < 0 or rated < positive:
        raise ValueError("need 0 <= positive <= rated")
    return (positive + 1) / (rated + 2)


@dataclass(frozen=True)
class Reputation:
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def rated(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def score(self) -> float:
        return smoothed(self.positive, self.rated)

    def as_dict(self) -> dict[str, object]:
        return {
            "positive": self.positive,
            "neutral": self.neutral,
            "negative": self.negative,
            "rated": self.rated,
            "score": round(self.score, 4),
        }


def from_counts(counts: Iterable[tuple[str, int]]) -> Reputation:
    by_rating = dict.fromkeys(RATINGS, 0)
    for rating, n in counts:
        by_rating[rating] += n
    return Reputation(by_rating["positive"], by_rating["neutral"], by_rating["negative"])


def as_requester(session: Session, member_id: str) -> Reputation:
    rows = session.execute(
        select(Feedback.rating, func.count())
        .join(Introduction, Introduction.id == Feedback.introduction_id)
        .where(Introduction.requester_id == member_id, Feedback.author_role == "target")
        .group_by(Feedback.rating)
    ).all()
    return from_counts((r[0], r[1]) for r in rows)


def as_introducer(session: Session, member_ids: Iterable[str]) -> dict[str, Reputation]:
    """Reputation as introducer of each member in `member_ids` (absent: no ratings)."""
    ids = set(member_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Introduction.introducer_id, Feedback.rating, func.count())
        .join(Introduction, Introduction.id == Feedback.introduction_id)
        .where(Introduction.introducer_id.in_(ids))
        .group_by(Introduction.introducer_id, Feedback.rating)
    ).all()
    counts: dict[str, list[tuple[str, int]]] = {}
    for introducer_id, rating, n in rows:
        counts.setdefault(introducer_id, []).append((rating, n))
    return {m: from_counts(counts.get(m, [])) for m in ids}


def requester_ratings(session: Session, member_id: str) -> list[str]:
    """The targets' ratings of the member's rated requests, newest first: both the
    reputation as requester and the recent ratings of the risk assessment."""
    return list(
        session.scalars(
            select(Feedback.rating)
            .join(Introduction, Introduction.id == Feedback.introduction_id)
            .where(Introduction.requester_id == member_id, Feedback.author_role == "target")
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        ).all()
    )
