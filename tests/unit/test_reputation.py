"""The reputation formula: (positive + 1) / (rated + 2)."""

from __future__ import annotations

import pytest

from service.reputation import Reputation, from_counts, smoothed


@pytest.mark.parametrize(
    ("positive", "rated", "score"),
    [(0, 0, 0.5), (1, 1, 2 / 3), (0, 1, 1 / 3), (3, 4, 4 / 6), (0, 10, 1 / 12), (10, 10, 11 / 12)],
)
def test_smoothed_ratio_of_positive_to_rated(positive: int, rated: int, score: float) -> None:
    assert smoothed(positive, rated) == pytest.approx(score)


def test_no_ratings_is_neutral_and_never_extreme() -> None:
    assert smoothed(0, 0) == 0.5
    assert 0 < smoothed(0, 1000) < smoothed(1000, 1000) < 1


def test_one_bad_outcome_does_not_brand_a_newcomer() -> None:
    assert smoothed(0, 1) > smoothed(0, 5)


def test_neutral_ratings_count_as_rated_but_not_positive() -> None:
    rep = Reputation(positive=1, neutral=2, negative=0)
    assert rep.rated == 3
    assert rep.score == pytest.approx(2 / 5)


@pytest.mark.parametrize(("positive", "rated"), [(-1, 0), (2, 1)])
def test_impossible_counts_are_refused(positive: int, rated: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        smoothed(positive, rated)


def test_counts_from_grouped_rows() -> None:
    rep = from_counts([("positive", 2), ("negative", 1), ("positive", 1)])
    assert rep == Reputation(positive=3, neutral=0, negative=1)
    assert rep.as_dict() == {
        "positive": 3, "neutral": 0, "negative": 1, "rated": 4, "score": round(4 / 6, 4),
    }  # fmt: skip
