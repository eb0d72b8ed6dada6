"""The adaptive debounce and the one-live-request-per-document rule."""

from __future__ import annotations

import asyncio

import pytest

from lantern.completion.debounce import LatestRequest, TypingRhythm, quiet_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def typed(intervals: list[float]) -> TypingRhythm:
    clock = Clock()
    rhythm = TypingRhythm(clock)
    rhythm.keystroke()
    for interval in intervals:
        clock.now += interval
        rhythm.keystroke()
    return rhythm


def test_without_history_the_base_is_used() -> None:
    assert typed([]).delay_seconds(200) == pytest.approx(0.2)


def test_a_fast_typist_waits_less_and_a_slow_one_more_within_bounds() -> None:
    fast = typed([0.05] * 10).delay_seconds(200)
    slow = typed([0.35] * 10).delay_seconds(200)
    assert 0.1 <= fast < 0.2 < slow <= 0.4
    # The mean of the base and twice the (slower) interval...
    assert typed([0.01] * 10).delay_seconds(200) == pytest.approx((200 + 20) / 2 / 1000)
    # ...clamped to 100-400 ms.
    assert typed([0.01] * 10).delay_seconds(100) == pytest.approx(0.1)
    assert typed([0.9] * 10).delay_seconds(200) == pytest.approx(0.4)


def test_slowing_down_is_followed_at_once_speeding_up_once_it_is_a_habit() -> None:
    fast = [0.03] * 15
    assert typed([*fast, 0.12]).delay_seconds(200) == pytest.approx((200 + 240) / 2 / 1000)
    assert typed([0.12] * 15 + [0.03]).delay_seconds(200) == pytest.approx(0.22)
    assert typed([0.12] * 4 + [0.03] * 16).delay_seconds(200) == pytest.approx(0.13)


def test_pauses_are_not_rhythm() -> None:
    rhythm = typed([0.05, 5.0, 0.05, 30.0])
    assert list(rhythm.intervals) == pytest.approx([0.05, 0.05])
    # The first key after a pause waits at least the base; the next ones follow the rhythm.
    assert rhythm.delay_seconds(200) == pytest.approx(0.2)
    assert typed([0.05, 5.0, 0.05, 30.0, 0.05]).delay_seconds(200) == pytest.approx(0.15)


def test_the_base_is_always_reachable_and_zero_means_at_once() -> None:
    assert typed([]).delay_seconds(1000) == pytest.approx(1.0)
    assert typed([0.9] * 5).delay_seconds(1000) == pytest.approx(1.0)
    assert typed([0.05] * 5).delay_seconds(1000) == pytest.approx((1000 + 100) / 2 / 1000)
    assert typed([]).delay_seconds(50) == pytest.approx(0.05)
    assert typed([0.05] * 5).delay_seconds(0) == 0.0


async def test_a_new_request_cancels_the_previous_one_for_the_same_document() -> None:
    latest = LatestRequest()
    first = latest.start("file:///a.py")
    other = latest.start("file:///b.py")
    second = latest.start("file:///a.py")
    assert first.is_set() and not second.is_set() and not other.is_set()
    latest.finish("file:///a.py", first)  # finishing late must not drop the newer one
    latest.cancel("file:///a.py")
    assert second.is_set()


async def test_quiet_for_ends_early_when_cancelled() -> None:
    cancel = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, cancel.set)
    assert await quiet_for(10.0, cancel) is False
    assert await quiet_for(0.01, asyncio.Event()) is True
