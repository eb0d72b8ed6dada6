"""The one place that converts between LSP positions, str offsets and UTF-8 bytes.

LSP counts columns in the negotiated encoding (UTF-16 by default), Python indexes
strings by code point, and tree-sitter works in UTF-8 bytes with points of
(row, byte column) where rows are counted by "\\n" only. Every conversion is
clamped: a position past the end of a line or of the text never raises.
"""

from __future__ import annotations

import bisect
import re
from enum import StrEnum
from itertools import accumulate

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters str.splitlines() breaks on that LSP does not: where none occur, the fast
# C implementation of splitlines() finds exactly LSP's lines.
_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _line_starts(text: str) -> list[int]:
    if _OTHER_BREAKS.search(text) is None:
        starts = [0, *accumulate(map(len, text.splitlines(keepends=True)))]
        if len(starts) > 1 and not text.endswith(("\n", "\r")):
            starts.pop()  # the last line has no break: it does not start a new one
        return starts
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


class Encoding(StrEnum):
    """Position encodings defined by LSP 3.17 (`PositionEncodingKind`)."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


def _units(text: str, encoding: Encoding) -> int:
    """Length of `text` in code units of `encoding`."""
    if encoding is Encoding.UTF32 or text.isascii():
        return len(text)
    if encoding is Encoding.UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _index_of_units(line: str, units: int, encoding: Encoding) -> int:
    """Index into `line` of the character at `units` code units, clamped to the line.

    A column inside a multi-unit character (half a surrogate pair, the middle of a
    UTF-8 sequence) moves back to the start of that character.
    """
    if units <= 0:
        return 0
    if encoding is Encoding.UTF32 or line.isascii():
        return min(units, len(line))
    seen = 0
    for index, ch in enumerate(line):
        width = _units(ch, encoding)
        if seen + width > units:
            return index
        seen += width
    return len(line)


def _has_lone_cr(text: str) -> bool:
    """Does `text` hold a "\r" not followed by "\n"?"""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _lone_cr_in(text: str, low: int, high: int) -> bool:
    """Does `text[low:high]` hold a "\r" not followed by "\n" (in `text`)?"""
    at = text.find("\r", low, high)
    while at != -1:
        if text[at + 1 : at + 2] != "\n":
            return True
        at = text.find("\r", at + 1, high)
    return False


class _Starts:
    """The start of each line of a text, as offsets (str or UTF-8 bytes), shifted lazily:
    after an edit, the starts from `pivot` on are stored `shift` too low. Adding it to
    every later line on every keystroke would cost more than the rest of the edit; it is
    added when the whole list is asked for. Immutable once built, but for that."""

    __slots__ = ("pivot", "shift", "stored")

    def __init__(self, stored: list[int], pivot: int = 0, shift: int = 0) -> None:
        self.stored, self.pivot, self.shift = stored, pivot, shift

    def __len__(self) -> int:
        return len(self.stored)

    def at(self, line: int) -> int:
        start = self.stored[line]
        return start + self.shift if line >= self.pivot else start

    def line_of(self, offset: int) -> int:
        """`bisect_right(starts, offset) - 1` without building the list."""
        stored, pivot, shift = self.stored, self.pivot, self.shift
        if shift and pivot < len(stored) and offset >= stored[pivot] + shift:
            return bisect.bisect_right(stored, offset - shift, pivot) - 1
        return bisect.bisect_right(stored, offset, 0, pivot if shift else len(stored)) - 1

    def exact(self) -> list[int]:
        """The list itself, the pending shift applied."""
        if self.shift:
            pivot, shift = self.pivot, self.shift
            self.stored = self.stored[:pivot] + [s + shift for s in self.stored[pivot:]]
            self.shift = 0
        return self.stored

    def spliced(self, first: int, last: int, window: list[int], delta: int) -> _Starts:
        """These starts with lines [first, last) replaced by `window` (absolute), every
        line from `last` on moved by `delta`: a copy of the list (a memcpy), no addition
        to the lines after the edit when typing on one line."""
        stored = self.stored
        pivot, shift = (self.pivot, self.shift) if self.shift else (last, 0)
        # Before the window: as stored, plus the old shift where it applied.
        starts = stored[: min(first, pivot)]
        if pivot < first:
            starts += [s + shift for s in stored[pivot:first]]
        starts += window
        # After it: everything moves by `delta`; lines before the old pivot are made
        # exact now (none when typing on one line), the rest keep a pending shift.
        if last < pivot:
            starts += [s + delta for s in stored[last:pivot]]
        new_pivot = len(starts)
        starts += stored[max(last, pivot) :]
        return _Starts(starts, new_pivot, shift + delta)


def _byte_starts(text: str) -> list[int]:
    """`_line_starts` in UTF-8 byte offsets. LSP's line breaks are ASCII and
    `bytes.splitlines` breaks on exactly them: C speed, no loop over the lines."""
    encoded = text.encode("utf-8", "surrogatepass")
    starts = [0, *accumulate(map(len, encoded.splitlines(keepends=True)))]
    if len(starts) > 1 and not encoded.endswith((b"\n", b"\r")):
        starts.pop()  # the last line has no break: it does not start a new one
    return starts


class LineIndex:
    """Line starts of one text, for fast position arithmetic. Immutable."""

    __slots__ = ("_bytes", "_lone_cr", "_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Computed on first use: a document nobody asks about holds only its text.
        self._starts: _Starts | None = None
        # In UTF-8 bytes, for a text with a non-ASCII character (the others' are equal).
        self._bytes: _Starts | None = None
        # tree-sitter rows count "\n" only; LSP lines also break on a lone "\r".
        self._lone_cr = _has_lone_cr(text)

    def replaced(self, start: int, end: int, inserted: str) -> LineIndex:
        """The index of this text with [start, end) replaced by `inserted`.

        Only the lines around the edit are rescanned; later line starts are shifted,
        lazily (see `_Starts`), in str offsets and, once they are known, in bytes. The
        window reaches one line beyond each side so a "\r\n" split or joined at the
        edges of the edit is seen.
        """
        text = self.text[:start] + inserted + self.text[end:]
        delta = len(inserted) - (end - start)
        starts = self._lines()
        count = len(starts)
        first = max(starts.line_of(start) - 1, 0)
        last = starts.line_of(end) + 2
        low = starts.at(first)
        high = starts.at(last) + delta if last < count else len(text)
        window = _line_starts(text[low:high])
        if last < count:
            window.pop()  # == high: the first of the shifted line starts
        index = LineIndex.__new__(LineIndex)
        index.text = text
        index._starts = starts.spliced(first, last, [low + s for s in window], delta)
        index._bytes = None
        if self._bytes is not None and not text.isascii():
            old = self._bytes
            byte_low = old.at(first)
            byte_delta = _units(inserted, Encoding.UTF8) - _units(
                self.text[start:end], Encoding.UTF8
            )
            byte_window = _byte_starts(text[low:high])
            if last < count:
                byte_window.pop()
            index._bytes = old.spliced(first, last, [byte_low + s for s in byte_window], byte_delta)
        # Only a "\r" typed, or one whose next character changed, can become lone: not two
        # scans of the whole text per keystroke (0.2 ms on a 3,500-line CRLF file).
        index._lone_cr = (
            _has_lone_cr(text)
            if self._lone_cr
            else _lone_cr_in(text, max(start - 1, 0), start + len(inserted))
        )
        return index

    def _lines(self) -> _Starts:
        if self._starts is None:
            self._starts = _Starts(_line_starts(self.text))
        return self._starts

    def _start(self, line: int) -> int:
        """`line_starts[line]` without building the list."""
        return self._lines().at(line)

    def _line_of(self, offset: int) -> int:
        """`bisect_right(line_starts, offset) - 1` without building the list."""
        return self._lines().line_of(offset)

    @property
    def line_starts(self) -> list[int]:
        """str offset of each line's start (the first is 0)."""
        return self._lines().exact()

    def without_line_starts(self) -> LineIndex:
        """The same index holding only its text (for a document not in use: the line
        starts cost 36 bytes per line, computed again on first use)."""
        return LineIndex(self.text)

    @property
    def line_count(self) -> int:
        return len(self._lines())

    def line_text(self, line: int) -> str:
        """The text of `line` without its line break ("" past the end)."""
        if line < 0 or line >= self.line_count:
            return ""
        start = self._start(line)
        end = self._start(line + 1) if line + 1 < self.line_count else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    # -- LSP position <-> str offset -------------------------------------------------

    def offset_at(self, line: int, character: int, encoding: Encoding) -> int:
        """str offset of an LSP position, clamped to the text."""
        if line < 0:
            return 0
        if line >= self.line_count:
            return len(self.text)
        text = self.line_text(line)
        return self._start(line) + _index_of_units(text, character, encoding)

    def position_at(self, offset: int, encoding: Encoding) -> tuple[int, int]:
        """LSP (line, character) of a str offset, clamped to the text."""
        offset = max(0, min(offset, len(self.text)))
        line = self._line_of(offset)
        start = self._start(line)
        if self.text.isascii():
            # One unit per character: no slice of the line (on a minified file, copying
            # the line for each of its thousands of findings is quadratic).
            end = offset
            while end > start and self.text[end - 1] in "\r\n":
                end -= 1
            return line, end - start
        # An offset between "\r" and "\n" belongs to the end of its line.
        prefix = self.text[start:offset].rstrip("\r\n")
        return line, _units(prefix, encoding)

    # -- str offset <-> UTF-8 byte offset --------------------------------------------

    def _byte_lines(self) -> _Starts:
        """UTF-8 byte offset of each line's start (for a text with a non-ASCII character:
        the others' are the str offsets)."""
        if self._bytes is None:
            self._bytes = _Starts(_byte_starts(self.text))
        return self._bytes

    def byte_at(self, offset: int) -> int:
        """UTF-8 byte offset of a str offset."""
        offset = max(0, min(offset, len(self.text)))
        if self.text.isascii():
            return offset
        line = self._line_of(offset)
        start = self._start(line)
        return self._byte_lines().at(line) + _units(self.text[start:offset], Encoding.UTF8)

    def offset_at_byte(self, byte: int) -> int:
        """str offset of a UTF-8 byte offset (inside a character: that character's start)."""
        if byte <= 0:
            return 0
        if self.text.isascii():
            return min(byte, len(self.text))
        starts = self._byte_lines()
        line = starts.line_of(byte)
        start = self._start(line)
        end = self._start(line + 1) if line + 1 < self.line_count else len(self.text)
        return start + _index_of_units(self.text[start:end], byte - starts.at(line), Encoding.UTF8)

    # -- tree-sitter points ----------------------------------------------------------

    def point_at(self, offset: int) -> tuple[int, int]:
        """tree-sitter point (row, byte column) of a str offset."""
        offset = max(0, min(offset, len(self.text)))
        if self._lone_cr:
            row = self.text.count("\n", 0, offset)
            line_start = self.text.rfind("\n", 0, offset) + 1
            return row, _units(self.text[line_start:offset], Encoding.UTF8)
        line = self._line_of(offset)
        return line, _units(self.text[self._start(line) : offset], Encoding.UTF8)

    # -- shortcuts -------------------------------------------------------------------

    def position_at_byte(self, byte: int, encoding: Encoding) -> tuple[int, int]:
        return self.position_at(self.offset_at_byte(byte), encoding)

    def byte_at_position(self, line: int, character: int, encoding: Encoding) -> int:
        return self.byte_at(self.offset_at(line, character, encoding))


def encoding_from_lsp(name: str | None) -> Encoding:
    """The negotiated `PositionEncodingKind` as an Encoding (UTF-16 when unknown)."""
    try:
        return Encoding(name) if name else Encoding.UTF16
    except ValueError:
        return Encoding.UTF16
