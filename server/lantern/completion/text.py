"""Small text helpers shared by the completion pipeline: lines around the cursor,
indentation width, word characters. Pure string work; never raises."""

from __future__ import annotations

TAB_WIDTH = 4


def line_around(text: str, offset: int) -> tuple[str, str]:
    """The cursor's line split at `offset`: (text before it, text after it), no break."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    tail = text[offset:] if end == -1 else text[offset:end]
    return text[start:offset], tail.rstrip("\r")


def indent_width(line: str) -> int:
    """Columns of leading whitespace (a tab counts TAB_WIDTH)."""
    width = 0
    for ch in line:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += TAB_WIDTH
        else:
            break
    return width


def is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


def word_before(text: str, offset: int) -> str:
    """The identifier characters immediately before `offset` (maybe empty)."""
    start = offset
    while start > 0 and is_word_char(text[start - 1]):
        start -= 1
    return text[start:offset]
