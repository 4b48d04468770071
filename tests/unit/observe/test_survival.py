"""Kaplan–Meier Pending-time curve: still-pending and deleted-while-pending pods are censored."""

from __future__ import annotations

import copy

import pytest

from k8sstress.observe import Timelines, kaplan_meier, pending_survival
from k8sstress.observe.survival import pending_durations

from .shapes import T0_EPOCH, cond, evolve, pod, ts


def test_the_textbook_example() -> None:
    # times 1, 2+, 3, 3, 4+, 5 (+ = censored)
    curve = kaplan_meier([(1, True), (2, False), (3, True), (3, True), (4, False), (5, True)])
    s = {p.t: round(p.survival, 4) for p in curve.points}
    assert s[1] == round(5 / 6, 4)
    assert s[2] == round(5 / 6, 4)  # censoring does not step the curve
    assert s[3] == round(5 / 6 * 2 / 4, 4)
    assert s[5] == 0.0
    assert curve.median == 3
    assert (curve.subjects, curve.events, curve.censored) == (6, 4, 2)
    assert curve.survival_at(2.5) == pytest.approx(5 / 6)


def test_median_is_none_when_most_never_left_pending() -> None:
    curve = kaplan_meier([(1, True)] + [(10, False)] * 3)
    assert curve.median is None
    assert curve.points[-1].survival == pytest.approx(0.75)


def test_pending_durations_from_histories() -> None:
    t = Timelines()
    fast = pod("fast", "u1")
    t.apply_raw(T0_EPOCH, "pods", "ADDED", fast)
    t.apply_raw(T0_EPOCH + 2, "pods", "MODIFIED", evolve(fast, 101, conditions=[cond("PodScheduled", "True", 2)]))
    waiting = pod("waiting", "u2")
    t.apply_raw(T0_EPOCH, "pods", "ADDED", waiting)
    gone = pod("gone", "u3")
    t.apply_raw(T0_EPOCH, "pods", "ADDED", gone)
    deleting = copy.deepcopy(gone)
    deleting["metadata"].update(resourceVersion="101", deletionTimestamp=ts(35), deletionGracePeriodSeconds=30)
    t.apply_raw(T0_EPOCH + 5, "pods", "DELETED", deleting)
    got = sorted(pending_durations(t.histories(), end=T0_EPOCH + 60))
    assert got == [(2.0, True), (5.0, False), (60.0, False)]
    curve = pending_survival(t.histories(), end=T0_EPOCH + 60)
    assert curve.events == 1 and curve.censored == 2
    assert curve.as_json()["points"][0] == {"t": 0.0, "survival": 1.0, "at_risk": 3, "events": 0, "censored": 0}
