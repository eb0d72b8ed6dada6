"""Whether to suggest at the cursor, and how much: decided from the syntax tree.

`NONE` inside strings and comments (unless the user asked explicitly) and in the middle
of a word; `BLOCK` (several lines) right after a block opener, or on an empty line that
ends a block; `LINE` (the rest of the line) everywhere else. Never raises: without a
tree (unknown language) the same rules run on the text alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from lantern.completion.text import indent_width, is_word_char, line_around

if TYPE_CHECKING:
    from tree_sitter import Node, Tree


class Mode(StrEnum):
    NONE = "none"
    LINE = "line"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Decision:
    mode: Mode
    reason: str  # a few words, for the log and for tests


# Node types whose inside is text, not code. Interpolations inside them are code again.
_STRING_TYPES = frozenset(
    {
        "string",
        "template_string",
        "string_literal",
        "raw_string_literal",
        "interpreted_string_literal",
        "char_literal",
        "rune_literal",
        "character_literal",
        "text_block",
    }
)
_CODE_INSIDE_STRING = frozenset({"interpolation", "template_substitution"})
# A ":" under these is not a block opener (dict entries, slices, lambdas, annotations,
# and the collections an unfinished dict entry is parsed as).
_NOT_BLOCK_COLON = frozenset(
    {
        "pair",
        "slice",
        "lambda",
        "subscript",
        "dictionary",
        "set",
        "list",
        "tuple",
        "argument_list",
        "parenthesized_expression",
        "type",
        "keyword_argument",
    }
)
_CLOSERS = ")]}"
# What an editor auto-inserts after the cursor, or ends a statement with: the cursor
# counts as being at the end of its line when only these follow it.
_LINE_END_CHARS = frozenset(")]}\"'`;,: \t")


def decide(
    text: str, offset: int, tree: Tree | None, cursor_byte: int, *, invoked: bool
) -> Decision:
    """The decision for a cursor at str `offset` (UTF-8 `cursor_byte`) in `text`.

    `invoked`: the user asked for a completion explicitly (a key), rather than typing.
    """
    head, tail = line_around(text, offset)
    if tail[:1] and is_word_char(tail[0]) and not invoked:
        return Decision(Mode.NONE, "inside a word")
    where = _text_region(tree, cursor_byte, head)
    if where is not None:
        if not invoked:
            return Decision(Mode.NONE, f"inside a {where}")
        return Decision(Mode.LINE, f"invoked inside a {where}")
    if any(ch not in _LINE_END_CHARS for ch in tail):
        return Decision(Mode.LINE, "code follows on the line")
    if not head.strip():
        if _ends_block(text, offset, indent_width(head)):
            return Decision(Mode.BLOCK, "empty line at the end of a block")
        return Decision(Mode.LINE, "empty line inside a block")
    if _opens_block(tree, cursor_byte, head):
        return Decision(Mode.BLOCK, "after a block opener")
    return Decision(Mode.LINE, "end of a line")


def _text_region(tree: Tree | None, cursor_byte: int, head: str) -> str | None:
    """'string' or 'comment' if the cursor is inside one, else None."""
    if tree is None:
        return "string" if unclosed_quote(head) else None
    root = tree.root_node
    candidates = [root.descendant_for_byte_range(cursor_byte, cursor_byte)]
    if cursor_byte > 0:
        candidates.append(root.descendant_for_byte_range(cursor_byte - 1, cursor_byte - 1))
    broken = False
    for node in candidates:
        while node is not None:
            kind = node.type
            if kind in _CODE_INSIDE_STRING and node.start_byte < cursor_byte < node.end_byte:
                return None  # `f"{user.|}"`: code inside a string
            if "comment" in kind and _inside_comment(node, cursor_byte):
                return "comment"
            if kind in _STRING_TYPES and node.start_byte < cursor_byte < node.end_byte:
                return "string"
            broken = broken or (node.has_error and node.parent is not None)
            node = node.parent
    # An unterminated string is an error to tree-sitter, often beside the cursor rather
    # than around it: where the statement holds an error, the line's quotes decide.
    return "string" if broken and unclosed_quote(head) else None


def _inside_comment(node: Node, cursor_byte: int) -> bool:
    if node.start_byte < cursor_byte < node.end_byte:
        return True
    # A line comment runs to the end of its line: typing at its end is still inside.
    text = node.text or b""
    return cursor_byte == node.end_byte and not text.rstrip().endswith(b"*/")


def _opens_block(tree: Tree | None, cursor_byte: int, head: str) -> bool:
    """The last token before the cursor opens a block (`:` of a compound statement, `{`)."""
    stripped = head.rstrip()
    if not stripped.endswith((":", "{")):
        return False
    if tree is None:
        return True
    token_end = cursor_byte - (len(head.encode("utf-8")) - len(stripped.encode("utf-8")))
    leaf = tree.root_node.descendant_for_byte_range(token_end - 1, token_end)
    if leaf is None or leaf.type not in (":", "{"):
        return False
    if leaf.prev_sibling is not None and leaf.prev_sibling.type == "lambda_parameters":
        return False
    parent = leaf.parent
    while parent is not None and parent.type == "ERROR":
        parent = parent.parent  # an unfinished construct: judge by what holds it
    return parent is None or parent.type not in _NOT_BLOCK_COLON


def _ends_block(text: str, offset: int, width: int) -> bool:
    """On an empty line: is the next code outside this indentation (or closing it)?"""
    next_break = text.find("\n", offset)
    if next_break == -1:
        return True
    for line in text[next_break + 1 :].splitlines():
        if not line.strip():
            continue
        below = indent_width(line)
        return below < width or (below <= width and line.strip()[0] in _CLOSERS)
    return True


def unclosed_quote(head: str) -> bool:
    """Whether a quote opened on this line (before the cursor) is still open."""
    quote: str | None = None
    escaped = False
    for ch in head:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quote is not None:
            if ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
    return quote is not None
