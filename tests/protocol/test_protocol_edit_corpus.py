"""The edit-accuracy corpus (bench/edit_cases): the whole path from a model's raw answer."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.edit_accuracy import TARGET, Outcome, load_cases, run_case, summarise

CATEGORIES = {
    "exact",
    "whitespace",
    "misquoted",
    "placeholder",
    "diff",
    "diff-wrong-lines",
    "refuse-missing",
    "refuse-ambiguous",
}


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [run_case(case) for case in load_cases()]


def test_the_corpus_covers_every_kind_of_edit(outcomes: list[Outcome]) -> None:
    assert len(outcomes) >= 60
    counts = Counter(outcome.case.category for outcome in outcomes)
    assert set(counts) == CATEGORIES
    assert all(count >= 5 for count in counts.values())
    assert sum(outcome.case.expected is None for outcome in outcomes) >= 15


def test_the_overall_correct_outcome_rate_reaches_the_target(outcomes: list[Outcome]) -> None:
    summary = summarise(outcomes)
    assert summary["correct"] >= TARGET, summary["incorrect"]


def test_every_edit_that_must_be_refused_is_refused(outcomes: list[Outcome]) -> None:
    applied = [o.case.name for o in outcomes if o.case.expected is None and o.applied]
    assert applied == []


def test_no_wrong_result_is_ever_applied(outcomes: list[Outcome]) -> None:
    wrong = [outcome.case.name for outcome in outcomes if outcome.wrong_edit]
    assert wrong == []


def test_refusals_say_why(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if not outcome.applied:
            assert outcome.reason, outcome.case.name
