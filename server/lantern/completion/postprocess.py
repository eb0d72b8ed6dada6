"""Turn a model's raw completion into a suggestion worth showing, or into nothing.

A pipeline of small steps, each `(Suggestion, Context) -> Suggestion | None`, run in
order (see `STEPS`): normalise, drop text repeating the prefix, cut to one line or to
`max_lines`, stop at the end of the current block by indentation, drop repetitive
loops, balance brackets against what follows the cursor (an auto-closed `)` the text
also writes is replaced through the suggestion's range rather than doubled), drop text
repeating the suffix, and drop what is too short to be worth a glance. Pure string work
on the text around the cursor; it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache

from lantern.completion.decision import Mode
from lantern.completion.text import indent_width, line_around

MIN_CHARS = 3  # shorter suggestions cost the reader more than they save
_CLOSER_OF = {"(": ")", "[": "]", "{": "}"}
_OPENERS = frozenset(_CLOSER_OF)
_CLOSERS = frozenset(_CLOSER_OF.values())
_QUOTES = "\"'`"
# How far back the brackets still open at the cursor are looked for.
_BRACKET_WINDOW = 4000
# A unit of 3-40 characters repeated 5 times or more in a row: a model stuck in a loop.
_INLINE_LOOP = re.compile(r"(.{3,40}?)\1{4,}")
_FENCED = re.compile(r"^```[^\n]*\n(.*?)(?:\n```|\Z)", re.DOTALL | re.MULTILINE)
_MARKERS = ("<|cursor|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_prefix|>", "<|endoftext|>")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """`text` to insert at the cursor, replacing the `replace` characters after it
    (auto-closed brackets on the cursor's line the text writes itself)."""

    text: str
    replace: int = 0


@dataclass(frozen=True, slots=True)
class Context:
    """The text around the cursor: `prefix` before it, `suffix` after it (windows of the
    document are enough), and what the cursor decision allowed."""

    prefix: str
    suffix: str
    mode: Mode
    max_lines: int = 8
    line_comment: str | None = None

    @property
    def head(self) -> str:
        """The cursor's line before the cursor."""
        return self.prefix[self.prefix.rfind("\n") + 1 :]

    @property
    def tail(self) -> str:
        """The cursor's line after the cursor."""
        return line_around(self.suffix, 0)[1]


Step = Callable[[Suggestion, Context], Suggestion | None]


def postprocess(raw: str, context: Context) -> Suggestion | None:
    """The suggestion to show for the model's `raw` text, or None."""
    if context.mode is Mode.NONE:
        return None
    suggestion: Suggestion | None = Suggestion(raw)
    for step in STEPS:
        if suggestion is None:
            return None
        suggestion = step(suggestion, context)
    return suggestion


# -- the steps ---------------------------------------------------------------------------


def normalise(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """Line breaks as "\\n", the code of a Markdown fence, no prompt markers, no
    trailing whitespace."""
    text = suggestion.text.replace("\r\n", "\n").replace("\r", "\n")
    if fenced := _FENCED.search(text):
        text = fenced.group(1)
    for marker in _MARKERS:
        text = text.replace(marker, "")
    text = "\n".join(line.rstrip() for line in text.split("\n")).rstrip()
    return replace(suggestion, text=text) if text.strip() else None


def trim_prefix_repeat(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """Drop what the model re-typed of the lines before the cursor, and doubled spaces."""
    text, head = suggestion.text, context.head
    lines = context.prefix.split("\n")
    for count in range(min(len(lines), 20), 0, -1):
        block = "\n".join(lines[-count:])
        if len(block.strip()) >= 4 and text.startswith(block):
            text = text[len(block) :]
            break
    else:
        bare = head.lstrip()
        if bare.strip() and head != bare and text.startswith(head):
            text = text[len(head) :]  # the current line again, with its indentation
        elif len(bare.strip()) >= 4 and text.startswith(bare):
            text = text[len(bare) :]  # the current line again, without it
        elif not head.strip() and head and text.startswith(head):
            text = text[len(head) :]  # the indentation the cursor already stands on
    if head[-1:] in (" ", "\t") and head.strip():
        text = text.lstrip(" \t")
    return replace(suggestion, text=text) if text.strip() else None


def limit_lines(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """One line in LINE mode; at most `max_lines` lines (a leading break not counted)."""
    lines = suggestion.text.split("\n")
    if context.mode is Mode.LINE:
        lines = lines[:1]
    else:
        lines = lines[: context.max_lines + (1 if lines[0] == "" else 0)]
    text = "\n".join(lines).rstrip()
    return replace(suggestion, text=text) if text.strip() else None


def limit_scope(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """Stop where the text leaves the block the cursor is in, judged by indentation.

    After a block opener the body must be deeper than the opener's line (a closing
    bracket at the opener's own indentation ends it and is kept); elsewhere lines may
    not be shallower than the cursor's line.
    """
    if context.mode is not Mode.BLOCK:
        return suggestion
    head = context.head
    base = indent_width(head)
    opened = head.rstrip().endswith((":", "{", "(", "["))
    lines = suggestion.text.split("\n")
    kept = lines[:1]
    for line in lines[1:]:
        if not line.strip():
            kept.append(line)
            continue
        width = indent_width(line)
        if opened:
            if width > base:
                kept.append(line)
                continue
            if width == base and line.strip()[0] in _CLOSERS:
                kept.append(line)
            break
        if width < base:
            break
        kept.append(line)
    text = "\n".join(kept).rstrip()
    return replace(suggestion, text=text) if text.strip() else None


def drop_repetition(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """Cut a loop: a block of 1-3 lines three times in a row, or a short unit repeated
    within a line; the first occurrence stays."""
    lines = suggestion.text.split("\n")
    cut = len(lines)
    for size in (1, 2, 3):
        for start in range(len(lines) - 3 * size + 1):
            block = [line.strip() for line in lines[start : start + size]]
            if not any(block):
                continue
            if all(
                [line.strip() for line in lines[start + k * size : start + (k + 1) * size]] == block
                for k in (1, 2)
            ):
                cut = min(cut, start + size)
                break
    lines = lines[:cut]
    for number, line in enumerate(lines):
        if loop := _INLINE_LOOP.search(line):
            lines = [*lines[:number], line[: loop.start() + len(loop.group(1))]]
            break
    text = "\n".join(lines).rstrip()
    return replace(suggestion, text=text) if text.strip() else None


def balance_brackets(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """Match the text's brackets against those open before the cursor and those an editor
    auto-closed after it.

    A closer that matches nothing open is where the model went wrong: the text stops
    there. Closers that close brackets opened before the cursor, when the line after the
    cursor starts with the same closers, replace them (the suggestion's range grows).
    """
    open_before = _open_brackets(context.prefix[-_BRACKET_WINDOW:], context.line_comment)
    tail = context.tail
    text, outer = _cut_at_stray_closer(suggestion.text, list(open_before))
    if not text.strip():
        return None
    auto_closed = len(tail) - len(tail.lstrip(")]}"))
    matched = 0
    while matched < min(len(outer), auto_closed) and outer[matched][1] == tail[matched]:
        matched += 1
    if matched < len(outer) and _closes_outer(tail[matched:], open_before[: -matched or None]):
        # The rest of the line already closes that bracket: the text's closer is one too many.
        text = text[: outer[matched][0]].rstrip()
        if not text.strip():
            return None
    return Suggestion(text, max(suggestion.replace, matched))


def _cut_at_stray_closer(text: str, open_before: list[str]) -> tuple[str, list[tuple[int, str]]]:
    """`text` up to its first closer that matches nothing open, and the (index, closer)
    of each closer that closes a bracket opened before the cursor."""
    outer: list[tuple[int, str]] = []
    inner: list[str] = []
    for index, ch in _code_chars(text):
        if ch in _OPENERS:
            inner.append(_CLOSER_OF[ch])
        elif ch in _CLOSERS:
            if inner and inner[-1] == ch:
                inner.pop()
            elif open_before and open_before[-1] == ch:
                open_before.pop()
                outer.append((index, ch))
            else:
                return text[:index].rstrip(), outer
    return text, outer


def _closes_outer(tail: str, open_before: list[str]) -> bool:
    """Whether `tail` closes the innermost bracket still open before it."""
    inner: list[str] = []
    for _, ch in _code_chars(tail):
        if ch in _OPENERS:
            inner.append(_CLOSER_OF[ch])
        elif ch in _CLOSERS:
            if inner and inner[-1] == ch:
                inner.pop()
            else:
                return bool(open_before) and open_before[-1] == ch
    return False


def _code_chars(text: str) -> Iterator[tuple[int, str]]:
    """(index, bracket) of the brackets in `text` outside string literals (a quote ends
    at a line break, except a backquote)."""
    yield from _tokens(text, None)


def trim_suffix_repeat(suggestion: Suggestion, context: Context) -> Suggestion | None:
    """Drop what the model wrote of the code after the cursor: the rest of the line at
    the text's end, and lines from where the next line of the file starts again."""
    text = suggestion.text
    rest_of_line = context.tail[suggestion.replace :].strip()
    following = next(
        (line.rstrip() for line in context.suffix.split("\n")[1:] if line.strip()), None
    )
    lines = text.split("\n")
    if following is not None:
        # Indentation counts: a `}` closing an inner block is not the outer `}` below.
        for number, line in enumerate(lines[1:], start=1):
            if line == following:
                lines = lines[:number]
                break
    text = "\n".join(lines).rstrip()
    if rest_of_line and text.endswith(rest_of_line) and len(text) > len(rest_of_line):
        text = text[: -len(rest_of_line)].rstrip()
    return replace(suggestion, text=text) if text.strip() else None


def drop_short(suggestion: Suggestion, context: Context) -> Suggestion | None:
    return suggestion if len(suggestion.text.strip()) >= MIN_CHARS else None


STEPS: tuple[Step, ...] = (
    normalise,
    trim_prefix_repeat,
    limit_lines,
    limit_scope,
    drop_repetition,
    balance_brackets,
    trim_suffix_repeat,
    drop_short,
)


def _open_brackets(text: str, line_comment: str | None) -> list[str]:
    """The closers still owed at the end of `text`, innermost last; strings and line
    comments are skipped. A mismatch means the window started mid-construct: reset."""
    owed: list[str] = []
    for _, ch in _tokens(text, line_comment):
        if ch in _OPENERS:
            owed.append(_CLOSER_OF[ch])
        elif ch in _CLOSERS:
            if owed and owed[-1] == ch:
                owed.pop()
            else:
                owed.clear()
    return owed


def _tokens(text: str, line_comment: str | None) -> Iterator[tuple[int, str]]:
    """(index, bracket) of each bracket outside strings and line comments.

    Only the characters that matter are visited (found by one regex), so a window of
    thousands of characters costs a few hundred steps.
    """
    quote: str | None = None
    skip_to = -1
    for match in _interesting(line_comment).finditer(text):
        index, token = match.start(), match.group()
        if index < skip_to:
            continue
        if quote is not None:
            if token == "\\":
                skip_to = index + 2  # the escaped character
            elif token == quote or (token == "\n" and quote != "`"):
                quote = None
        elif token in _QUOTES:
            quote = token
        elif token == line_comment:
            newline = text.find("\n", index)
            skip_to = len(text) if newline == -1 else newline
        elif token != "\n" and token != "\\":
            yield index, token


@cache
def _interesting(line_comment: str | None) -> re.Pattern[str]:
    marker = re.escape(line_comment) + "|" if line_comment else ""
    return re.compile(marker + r"[()\[\]{}\"'`\\\n]")
