"""Building and applying fixes: byte edits on the source, plus shared edit helpers.

Applying is pure: `apply_edits` returns new bytes and never touches a document. Edits
of one fix never overlap; edits of different fixes that overlap are skipped (the
first one, in source order, wins), so fix-all stays well-formed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

from tree_sitter import Node, Tree

from lantern.analysis.context import FileContext
from lantern.analysis.languages import LanguageSpec, parse
from lantern.analysis.rules.model import Edit, Fix
from lantern.analysis.syntax import syntax_errors


def apply_edits(source: bytes, edits: Iterable[Edit]) -> bytes:
    """`source` with every edit applied; edits overlapping an earlier one are dropped."""
    chosen = _disjoint(edits)
    out = bytearray()
    position = 0
    for edit in chosen:
        out += source[position : edit.start]
        out += edit.text.encode("utf-8")
        position = edit.end
    out += source[position:]
    return bytes(out)


def _disjoint(edits: Iterable[Edit]) -> list[Edit]:
    """The edits `apply_edits` applies, in source order."""
    chosen: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if chosen and edit.start < chosen[-1].end:
            continue
        if chosen and edit.start == chosen[-1].end == chosen[-1].start == edit.end:
            continue  # two insertions at one place: keep the first
        chosen.append(edit)
    return chosen


def adds_syntax_error(
    language: LanguageSpec, source: bytes, tree: Tree, edits: Iterable[Edit]
) -> bool:
    """True when applying `edits` to `source` leaves more syntax errors than it has now.

    `tree` is the current parse of `source` (not modified). The new text is re-parsed
    incrementally from a copy of it, so the check costs about one edit's re-parse. An
    edit whose result does not parse as well as the original is never offered.
    """
    chosen = _disjoint(edits)
    if not chosen:
        return False
    new_tree = tree.copy()
    new_source = source
    for edit in reversed(chosen):  # from the end, so earlier offsets stay valid
        inserted = edit.text.encode("utf-8")
        start_point = _point(new_source, edit.start)
        old_end_point = _point(new_source, edit.end)
        new_source = new_source[: edit.start] + inserted + new_source[edit.end :]
        new_tree.edit(
            edit.start,
            edit.end,
            edit.start + len(inserted),
            start_point,
            old_end_point,
            _point(new_source, edit.start + len(inserted)),
        )
    new_tree = parse(language, new_source, new_tree)
    after = syntax_errors(language, new_source, new_tree)
    if not after:
        return False
    return len(after) > len(syntax_errors(language, source, tree))


def _point(source: bytes, byte: int) -> tuple[int, int]:
    """The tree-sitter point (row, byte column) of a byte offset."""
    line_start = source.rfind(b"\n", 0, byte) + 1
    return source.count(b"\n", 0, byte), byte - line_start


def combine(fixes: Iterable[Fix]) -> list[Edit]:
    """The edits of several fixes, dropping whole fixes that collide with earlier ones."""
    taken: list[tuple[int, int]] = []
    edits: list[Edit] = []
    for fix in fixes:
        spans = [(e.start, e.end) for e in fix.edits]
        if any(_overlaps(span, other) for span in spans for other in taken):
            continue
        taken += spans
        edits += fix.edits
    return edits


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] or b[0] == b[1]:  # an insertion collides only inside a replacement
        return a[0] == b[0] or b[0] < a[0] < b[1] or a[0] < b[0] < a[1]
    return a[0] < b[1] and b[0] < a[1]


def replace_node(node: Node, text: str) -> Edit:
    return Edit(node.start_byte, node.end_byte, text)


def line_indent(ctx: FileContext, byte: int) -> str:
    start = ctx.source.rfind(b"\n", 0, byte) + 1
    line = ctx.source[start:byte]
    return line[: len(line) - len(line.lstrip(b" \t"))].decode()


def remove_argument(ctx: FileContext, argument: Node) -> Edit:
    """Delete one argument and the comma that separates it from its neighbour."""
    previous, following = argument.prev_sibling, argument.next_sibling
    if previous is not None and previous.type == ",":
        return Edit(previous.start_byte, argument.end_byte, "")
    if following is not None and following.type == ",":
        after = following.end_byte
        while after < len(ctx.source) and ctx.source[after : after + 1] in (b" ", b"\t"):
            after += 1
        return Edit(argument.start_byte, after, "")
    return Edit(argument.start_byte, argument.end_byte, "")


def python_import(ctx: FileContext, module: str) -> Edit | None:
    """An edit adding `import module` to a Python file, or None when it is imported.

    Memoised per file: every finding of a rule may ask, and each answer walks the module.
    """
    return ctx.memo(("python_import", module), lambda: _python_import(ctx, module))


def _python_import(ctx: FileContext, module: str) -> Edit | None:
    from lantern.analysis.pyflow import imports

    if imports(ctx).get(module) == module:
        return None
    root = ctx.tree.root_node
    anchor = 0
    for child in root.named_children:
        if child.type == "comment":
            continue
        is_docstring = (
            child.type == "expression_statement"
            and child.named_child_count == 1
            and child.named_children[0].type == "string"
        )
        if is_docstring or child.type == "future_import_statement":
            anchor = child.end_byte
            continue
        break
    if anchor == 0:
        return Edit(0, 0, f"import {module}\n")
    return Edit(anchor, anchor, f"\nimport {module}")


_IGNORE_COMMENT = re.compile(rb"(#|//)[ \t]*lantern:[ \t]*ignore\[(?P<codes>[^\]\n]*)\]")
_STRING_TYPES = frozenset(
    {"string", "string_content", "template_string", "raw_string_literal",
     "interpreted_string_literal", "comment", "concatenated_string", "string_fragment"}
)  # fmt: skip


def ignore_edit(language: LanguageSpec, source: bytes, tree: Tree, start: int, code: str) -> Edit:
    """The edit that suppresses `code` on the line holding byte `start`.

    Adds the code to an existing `lantern: ignore[...]` comment on that line; otherwise
    appends a comment to the line, or, when the line ends inside a multi-line string,
    puts the comment on its own line above (where it covers the next line).

    What depends on the line alone is computed once per line and source: a minified
    file has thousands of findings on one line, and each would rescan it.
    """
    newlines = _newlines(source)
    index = bisect_right(newlines, start - 1)  # newlines before `start`
    line_start = newlines[index - 1] + 1 if index > 0 else 0
    line_end = newlines[index] if index < len(newlines) else len(source)
    plans = _line_plans(source, tree, language.line_comment)
    if (plan := plans.get(line_start)) is None:
        plan = plans[line_start] = _line_plan(
            source, tree, language.line_comment, line_start, line_end
        )
    kind, at, text = plan
    if kind == "extend":
        separator = ", " if text else ""
        return Edit(at, at, f"{separator}{code}")
    marker = f"{language.line_comment} lantern: ignore[{code}]"
    if kind == "above":
        return Edit(at, at, f"{text}{marker}\n")
    return Edit(at, at, f"{text}{marker}")


@lru_cache(maxsize=2)  # small: each entry keeps a whole source alive
def _newlines(source: bytes) -> list[int]:
    """Offsets of every b"\n" (bytes cache their hash: a repeat lookup costs O(1))."""
    return [match.start() for match in re.finditer(b"\n", source)]


@lru_cache(maxsize=2)
def _line_plans(source: bytes, tree: Tree, comment: str) -> dict[int, tuple[str, int, str]]:
    """line start -> `_line_plan`, filled as lines are asked for."""
    return {}


def _line_plan(
    source: bytes, tree: Tree, comment: str, line_start: int, line_end: int
) -> tuple[str, int, str]:
    """("extend", where, existing codes) | ("above", where, indent) | ("after", where,
    spacing): how an ignore comment goes on the line [line_start, line_end)."""
    if line_end > line_start and source[line_end - 1 : line_end] == b"\r":
        line_end -= 1
    line = source[line_start:line_end]
    existing = _IGNORE_COMMENT.search(line)
    if existing is not None:
        return "extend", line_start + existing.end("codes"), existing.group("codes").strip()
    probe = max(line_start, line_end - 1)
    node = tree.root_node.descendant_for_byte_range(probe, probe)
    inside_string = False
    while node is not None:
        if node.type in _STRING_TYPES and node.end_byte > line_end:
            inside_string = True
            break
        node = node.parent
    if inside_string or not line.strip():
        indent = line[: len(line) - len(line.lstrip(b" \t"))].decode()
        return "above", line_start, indent
    return "after", line_end, "  " if comment == "#" else " "
