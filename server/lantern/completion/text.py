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


def context_window(text: str, offset: int, before: int, after: int) -> tuple[int, int]:
    """Whole lines around `offset`: [start, end) reaching at least `before` characters
    back and `after` forward (or the text's ends).

    Only this window can reach a prompt, so only it needs redacting; it never splits a
    `-----BEGIN ... -----END` block (a private key, the one secret that spans lines),
    so the redactor always sees such a block whole.
    """
    start = text.rfind("\n", 0, max(0, offset - before)) + 1 if offset > before else 0
    end = text.find("\n", min(len(text), offset + after))
    end = len(text) if end == -1 else end
    if text.rfind("-----BEGIN", 0, start) > text.rfind("-----END", 0, start):
        start = text.rfind("\n", 0, text.rfind("-----BEGIN", 0, start)) + 1
    if text.rfind("-----BEGIN", start, end) > text.rfind("-----END", start, end):
        closing = text.find("-----END", end)
        if closing != -1:
            end = text.find("\n", closing)
            end = len(text) if end == -1 else end
    return start, end


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and str column of `offset`, counting lines as `str.splitlines` does
    (the convention of `AIService`, which is not LSP's)."""
    lines = text[:offset].splitlines(keepends=True)
    if not lines:
        return 1, 0
    last = lines[-1]
    if len(last.splitlines()[0]) < len(last):
        return len(lines) + 1, 0  # the cursor is right after a line break
    return len(lines), len(last)
