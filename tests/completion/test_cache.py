"""The suggestion cache: exact hits, typed-ahead hits, expiry and LRU eviction."""

from __future__ import annotations

from lantern.completion.cache import CompletionCache
from lantern.completion.postprocess import Suggestion

PREFIX = "def area(r):\n    return "
SUFFIX = "\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_same_cursor_gets_the_same_suggestion() -> None:
    cache = CompletionCache()
    cache.put(PREFIX, SUFFIX, Suggestion("3.14 * r * r"))
    assert cache.get(PREFIX, SUFFIX) == Suggestion("3.14 * r * r")
    assert cache.get(PREFIX, "other suffix\n") is None
    assert cache.get(PREFIX + "x", SUFFIX) is None


def test_typing_ahead_into_a_suggestion_serves_the_rest_of_it() -> None:
    cache = CompletionCache()
    cache.put(PREFIX, ")" + SUFFIX, Suggestion("3.14 * r * r)", replace=1))
    assert cache.get(PREFIX + "3", ")" + SUFFIX) == Suggestion(".14 * r * r)", replace=1)
    assert cache.get(PREFIX + "3.14 * r", ")" + SUFFIX) == Suggestion(" * r)", replace=1)
    assert cache.get(PREFIX + "3.15", ")" + SUFFIX) is None  # typed something else
    # Typing the whole suggestion leaves nothing to suggest.
    assert cache.get(PREFIX + "3.14 * r * r)", ")" + SUFFIX) is None


def test_entries_expire() -> None:
    clock = Clock()
    cache = CompletionCache(ttl_seconds=300, clock=clock)
    cache.put(PREFIX, SUFFIX, Suggestion("3.14 * r * r"))
    clock.now = 299
    assert cache.get(PREFIX + "3.1", SUFFIX) == Suggestion("4 * r * r")
    clock.now = 301
    assert cache.get(PREFIX, SUFFIX) is None
    assert len(cache) == 0


def test_capacity_counts_suggestions_and_evicts_the_least_recently_used() -> None:
    cache = CompletionCache(capacity=2)
    cache.put("a", "", Suggestion("first one"))
    cache.put("b", "", Suggestion("second one"))
    assert cache.get("a", "") is not None  # "a" is now the most recent
    cache.put("c", "", Suggestion("third one"))
    assert len(cache) == 2
    assert cache.get("b", "") is None
    assert cache.get("b" + "sec", "") is None  # its typed-ahead keys went with it
    assert cache.get("a" + "fir", "") == Suggestion("st one")
    assert cache.get("c", "") == Suggestion("third one")


def test_a_newer_suggestion_for_the_same_text_wins() -> None:
    cache = CompletionCache()
    cache.put(PREFIX, SUFFIX, Suggestion("3.14 * r * r"))
    cache.put(PREFIX, SUFFIX, Suggestion("math.pi * r ** 2"))
    assert cache.get(PREFIX, SUFFIX) == Suggestion("math.pi * r ** 2")
    assert cache.get(PREFIX + "3.14", SUFFIX) == Suggestion(" * r * r")


def test_only_digests_are_kept() -> None:
    cache = CompletionCache()
    secret_prefix = 'TOKEN = "very-private-value"\n'
    cache.put(secret_prefix, SUFFIX, Suggestion("print(TOKEN)"))
    kept = repr(cache._index) + repr(list(cache._entries.values()))
    assert "very-private-value" not in kept
