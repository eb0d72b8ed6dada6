"""A small in-memory LRU of suggestions, keyed by hashes of the text before and after
the cursor, that also answers while the user types ahead into a suggestion.

Storing a suggestion also files "typed-ahead" keys: the prefix extended by each of the
suggestion's first characters, each pointing at the rest of the suggestion. A user who
types what they were shown keeps seeing the remainder without a new model request.
Only digests are kept, never the document's text. Capacity counts suggestions, not keys.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from lantern.completion.postprocess import Suggestion

DEFAULT_CAPACITY = 100
DEFAULT_TTL_SECONDS = 300.0
# Typed-ahead keys per suggestion: enough for a line or two of typing.
TYPED_AHEAD_LIMIT = 160

Key = tuple[bytes, bytes]


@dataclass(slots=True)
class _Entry:
    suggestion: Suggestion
    expires: float
    keys: list[Key] = field(default_factory=list)


class CompletionCache:
    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._index: dict[Key, tuple[int, int]] = {}  # key -> (entry id, characters typed)
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, prefix: str, suffix: str) -> Suggestion | None:
        """The suggestion for this cursor, or what is left of one the user typed into."""
        found = self._index.get((_digest(prefix), _digest(suffix)))
        if found is None:
            return None
        entry_id, typed = found
        entry = self._entries.get(entry_id)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._evict(entry_id)
            return None
        self._entries.move_to_end(entry_id)
        return Suggestion(entry.suggestion.text[typed:], entry.suggestion.replace)

    def put(self, prefix: str, suffix: str, suggestion: Suggestion) -> None:
        entry_id = self._next_id
        self._next_id += 1
        entry = _Entry(suggestion, self._clock() + self.ttl_seconds)
        suffix_digest = _digest(suffix)
        running = hashlib.blake2b(prefix.encode("utf-8", "surrogatepass"), digest_size=16)
        text = suggestion.text
        entry.keys.append((running.digest(), suffix_digest))
        # The last character is not filed: typing it leaves nothing to suggest.
        for ch in text[: min(len(text) - 1, TYPED_AHEAD_LIMIT)]:
            running.update(ch.encode("utf-8", "surrogatepass"))
            entry.keys.append((running.digest(), suffix_digest))
        for number, key in enumerate(entry.keys):
            if (old := self._index.get(key)) is not None and old[0] in self._entries:
                # A newer suggestion for the same text wins this key.
                self._entries[old[0]].keys.remove(key)
            self._index[key] = (entry_id, number)
        self._entries[entry_id] = entry
        while len(self._entries) > self.capacity:
            self._evict(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._index.clear()

    def _evict(self, entry_id: int) -> None:
        entry = self._entries.pop(entry_id, None)
        if entry is None:
            return
        for key in entry.keys:
            if self._index.get(key, (None,))[0] == entry_id:
                del self._index[key]


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
