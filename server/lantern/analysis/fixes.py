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

    The choice does not depend on the code, so it is made once per line and source: a
    minified file has thousands of findings on one line, and each would rescan and
    re-parse it.
    """
    newlines = _newlines(source)
    index = bisect_right(newlines, start - 1)  # newlines before `start`
    line_start = newlines[index - 1] + 1 if index > 0 else 0
    line_end = newlines[index] if index < len(newlines) else len(source)
    if line_end > line_start and source[line_end - 1 : line_end] == b"\r":
        line_end -= 1
    tag_end = _jsx_tag_end(tree, start, line_start, line_end)
    plans = _line_plans(source, tree, language.line_comment)
    key = (line_start, tag_end)
    if key not in plans:
        candidates = _candidates(language, source, tree, index, line_start, line_end, tag_end)
        plans[key] = next(
            (
                (at, template)
                for at, template, line in candidates
                if _suppresses(
                    language, source, tree, Edit(at, at, _fill(template, code)), line, code
                )
            ),
            None,
        )
    if (plan := plans[key]) is None:
        return None
    at, template = plan
    return Edit(at, at, _fill(template, code))


_CODE = "\0code\0"  # where a template takes the rule code


def _fill(template: str, code: str) -> str:
    return template.replace(_CODE, code)


def _candidates(
    language: LanguageSpec,
    source: bytes,
    tree: Tree,
    line: int,
    line_start: int,
    line_end: int,
    tag_end: int | None,
) -> list[tuple[int, str, int]]:
    """(where, text template, the line that must then be suppressed), in order of preference."""
    text = source[line_start:line_end]
    indent = text[: len(text) - len(text.lstrip(b" \t"))].decode()
    marker = f"{language.line_comment} lantern: ignore[{_CODE}]"
    spacing = "  " if language.line_comment == "#" else " "
    candidates: list[tuple[int, str, int]] = []
    for existing in _IGNORE_COMMENT.finditer(text):
        if in_comment(tree, line_start + existing.start(), line_start + existing.end()):
            separator = ", " if existing.group("codes").strip() else ""
            candidates.append((line_start + existing.end("codes"), f"{separator}{_CODE}", line))
            break
    if text.strip():
        candidates.append((line_end, f"{spacing}{marker}", line))
    if tag_end is not None:
        candidates.append((tag_end, f"{marker}\n{indent}", line))
    candidates.append((line_start, f"{indent}{marker}\n", line + 1))
    if language.line_comment == "//":
        candidates.append((line_start, f"{indent}{{/* lantern: ignore[{_CODE}] */}}\n", line + 1))
    return candidates


@lru_cache(maxsize=2)  # small: each entry keeps a whole source alive
def _newlines(source: bytes) -> list[int]:
    """Offsets of every b"\n" (bytes cache their hash: a repeat lookup costs O(1))."""
    return [match.start() for match in re.finditer(b"\n", source)]


@lru_cache(maxsize=2)
def _line_plans(
    source: bytes, tree: Tree, comment: str
) -> dict[tuple[int, int | None], tuple[int, str] | None]:
    """(line start, JSX tag end) -> the chosen (where, template), filled as lines are asked for."""
    return {}


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
