"""Building and applying fixes: byte edits on the source, plus shared edit helpers.

Applying is pure: `apply_edits` returns new bytes and never touches a document. Edits
of one fix never overlap; edits of different fixes that overlap are skipped (the
first one, in source order, wins), so fix-all stays well-formed.
"""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from lantern.analysis.context import FileContext
from lantern.analysis.rules.model import Edit, Fix


def apply_edits(source: bytes, edits: Iterable[Edit]) -> bytes:
    """`source` with every edit applied; edits overlapping an earlier one are dropped."""
    chosen: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if chosen and edit.start < chosen[-1].end:
            continue
        if chosen and edit.start == chosen[-1].end == chosen[-1].start == edit.end:
            continue  # two insertions at one place: keep the first
        chosen.append(edit)
    out = bytearray()
    position = 0
    for edit in chosen:
        out += source[position : edit.start]
        out += edit.text.encode("utf-8")
        position = edit.end
    out += source[position:]
    return bytes(out)


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
