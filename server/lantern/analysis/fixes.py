"""Building and applying fixes: byte edits on the source, plus shared edit helpers.

Applying is pure: `apply_edits` returns new bytes and never touches a document. Edits
of one fix never overlap; edits of different fixes that overlap are skipped (the
first one, in source order, wins), so fix-all stays well-formed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node, Tree

from lantern.analysis.context import FileContext
from lantern.analysis.languages import LanguageSpec, parse
from lantern.analysis.rules.model import Edit, Fix
from lantern.analysis.suppression import ALL, in_comment, suppressed_codes
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


def reparse(
    language: LanguageSpec, source: bytes, tree: Tree, edits: Iterable[Edit]
) -> tuple[bytes, Tree]:
    """`source` with `edits` applied, and its tree, re-parsed incrementally from a copy
    of `tree` (the current parse of `source`, which is not modified)."""
    new_tree = tree.copy()
    new_source = source
    for edit in reversed(_disjoint(edits)):  # from the end, so earlier offsets stay valid
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
    return new_source, parse(language, new_source, new_tree)


def adds_syntax_error(
    language: LanguageSpec, source: bytes, tree: Tree, edits: Iterable[Edit]
) -> bool:
    """True when applying `edits` to `source` leaves more syntax errors than it has now.

    The check costs about one incremental re-parse. An edit whose result does not parse
    as well as the original is never offered.
    """
    edits = list(edits)
    if not _disjoint(edits):
        return False
    new_source, new_tree = reparse(language, source, tree, edits)
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
    """An edit adding `import module` to a Python file, or None when it is imported."""
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


_IGNORE_COMMENT = re.compile(rb"(#|//|/\*)[ \t]*lantern:[ \t]*ignore\[(?P<codes>[^\]\n]*)\]")
_JSX_TAGS = frozenset({"jsx_opening_element", "jsx_self_closing_element"})


def ignore_edit(
    language: LanguageSpec, source: bytes, tree: Tree, start: int, code: str
) -> Edit | None:
    """The edit that suppresses `code` on the line holding byte `start`, or None.

    Tried in order, and each checked by re-parsing the result: the marker must be a real
    comment, the file must gain no syntax error, and the finding's line must then be
    suppressed. Adds the code to a `lantern: ignore[...]` comment already on the line;
    else appends a comment to the line; else (JSX) puts it inside the element's tag
    before its `>` or `/>`; else puts it on its own line above (where it covers the next
    line): a backslash continuation, a multi-line string or JSX text at the line's end.
    """
    line_start = source.rfind(b"\n", 0, start) + 1
    line_end = source.find(b"\n", start)
    line_end = len(source) if line_end == -1 else line_end
    if line_end > line_start and source[line_end - 1 : line_end] == b"\r":
        line_end -= 1
    line = source[line_start:line_end]
    indent = line[: len(line) - len(line.lstrip(b" \t"))].decode()
    marker = f"{language.line_comment} lantern: ignore[{code}]"
    spacing = "  " if language.line_comment == "#" else " "
    candidates: list[tuple[Edit, int]] = []  # (edit, the line that must then be suppressed)
    finding_line = source.count(b"\n", 0, start)
    for existing in _IGNORE_COMMENT.finditer(line):
        if in_comment(tree, line_start + existing.start(), line_start + existing.end()):
            close = line_start + existing.end("codes")
            separator = ", " if existing.group("codes").strip() else ""
            candidates.append((Edit(close, close, f"{separator}{code}"), finding_line))
            break
    if line.strip():
        candidates.append((Edit(line_end, line_end, f"{spacing}{marker}"), finding_line))
    if (tag_end := _jsx_tag_end(tree, start, line_start, line_end)) is not None:
        candidates.append((Edit(tag_end, tag_end, f"{marker}\n{indent}"), finding_line))
    candidates.append((Edit(line_start, line_start, f"{indent}{marker}\n"), finding_line + 1))
    if language.line_comment == "//":
        jsx_marker = f"{{/* lantern: ignore[{code}] */}}"
        candidates.append(
            (Edit(line_start, line_start, f"{indent}{jsx_marker}\n"), finding_line + 1)
        )
    for edit, line_after in candidates:
        if _suppresses(language, source, tree, edit, line_after, code):
            return edit
    return None


def _jsx_tag_end(tree: Tree, start: int, line_start: int, line_end: int) -> int | None:
    """Where the JSX tag holding byte `start` closes (`>` or `/>`), if on the same line."""
    node = tree.root_node.descendant_for_byte_range(start, start)
    while node is not None and node.type not in _JSX_TAGS:
        node = node.parent
    if node is None or node.child_count == 0:
        return None
    close = node.children[-1]
    return close.start_byte if line_start <= close.start_byte <= line_end else None


def _suppresses(
    language: LanguageSpec, source: bytes, tree: Tree, edit: Edit, line: int, code: str
) -> bool:
    """Whether `edit` leaves the file parseable with `code` suppressed on `line`."""
    new_source, new_tree = reparse(language, source, tree, [edit])
    if len(syntax_errors(language, new_source, new_tree)) > len(
        syntax_errors(language, source, tree)
    ):
        return False
    table = suppressed_codes(new_source, language.line_comment, new_tree)
    codes = table.get(line, set())
    return code.upper() in codes or ALL in codes
