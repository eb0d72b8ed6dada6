"""LC401/LC402: cyclomatic complexity and nesting depth per function, in every language.

Both count syntax only (decision points, nested blocks), so they are cheap and
language-neutral; thresholds come from the rule options.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from lantern.analysis.context import FUNCTION_TYPES, FileContext
from lantern.analysis.rules.declarations import CYCLOMATIC, DEEP_NESTING
from lantern.analysis.rules.model import GO, JAVASCRIPT, PYTHON, Hit

_DECISIONS = {
    "python": frozenset(
        {"if_statement", "elif_clause", "for_statement", "while_statement", "except_clause",
         "conditional_expression", "boolean_operator", "case_clause", "if_clause",
         "for_in_clause"}
    ),
    "javascript": frozenset(
        {"if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
         "catch_clause", "ternary_expression", "switch_case"}
    ),
    "go": frozenset(
        {"if_statement", "for_statement", "expression_case", "type_case",
         "communication_case"}
    ),
}  # fmt: skip
_LOGICAL = frozenset({"&&", "||", "??"})
_NESTING = {
    "python": frozenset(
        {"if_statement", "for_statement", "while_statement", "try_statement", "with_statement",
         "match_statement"}
    ),
    "javascript": frozenset(
        {"if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
         "try_statement", "switch_statement"}
    ),
    "go": frozenset(
        {"if_statement", "for_statement", "expression_switch_statement",
         "type_switch_statement", "select_statement"}
    ),
}  # fmt: skip
_QUERIES = {
    "python": "(function_definition name: (_) @name) @function",
    "javascript": """[(function_declaration name: (_) @name)
                      (method_definition name: (_) @name)
                      (variable_declarator name: (_) @name value: [(arrow_function)
                          (function_expression)] @function)] @function""",
    "go": "[(function_declaration name: (_) @name) (method_declaration name: (_) @name)] @function",
}


def _measure(ctx: FileContext, function: Node) -> tuple[int, int, Node | None]:
    """(cyclomatic complexity, deepest nesting, the node at the deepest nesting)."""
    decisions, nesting = _DECISIONS[ctx.family], _NESTING[ctx.family]
    functions = FUNCTION_TYPES[ctx.family]
    complexity, deepest, deepest_node = 1, 0, None
    stack: list[tuple[Node, int]] = [(function, 0)]
    while stack:
        node, depth = stack.pop()
        kind = node.type
        if node != function and kind in functions:
            continue  # nested functions are measured on their own
        if kind in decisions:
            complexity += 1
        elif kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            complexity += operator is not None and operator.type in _LOGICAL
        child_depth = depth
        if kind in nesting and not (
            kind == "if_statement" and node.parent is not None and node.parent.type == "else_clause"
        ):
            child_depth = depth + 1
            if child_depth > deepest:
                deepest, deepest_node = child_depth, node
        stack.extend((child, child_depth) for child in node.named_children)
    return complexity, deepest, deepest_node


def _function_and_name(captures: dict) -> tuple[Node, Node]:
    functions = captures["function"]
    return functions[-1], captures["name"][0]


@CYCLOMATIC.check(PYTHON, _QUERIES["python"])
@CYCLOMATIC.check(JAVASCRIPT, _QUERIES["javascript"])
@CYCLOMATIC.check(GO, _QUERIES["go"])
def _cyclomatic(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    function, name = _function_and_name(captures)
    complexity, _, _ = _measure(ctx, function)
    limit = ctx.options.complexity_threshold
    if complexity > limit:
        yield Hit.at(
            name,
            f"`{ctx.text(name)}` has cyclomatic complexity {complexity} (limit {limit}): split it "
            "into smaller functions.",
        )


@DEEP_NESTING.check(PYTHON, _QUERIES["python"])
@DEEP_NESTING.check(JAVASCRIPT, _QUERIES["javascript"])
@DEEP_NESTING.check(GO, _QUERIES["go"])
def _deep_nesting(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    function, name = _function_and_name(captures)
    _, depth, node = _measure(ctx, function)
    limit = ctx.options.max_nesting_depth
    if depth > limit and node is not None:
        first_line_end = ctx.source.find(b"\n", node.start_byte, node.end_byte)
        yield Hit(
            node.start_byte,
            first_line_end if first_line_end != -1 else node.end_byte,
            f"Blocks in `{ctx.text(name)}` nest {depth} deep here (limit {limit}): return early "
            "or extract a function.",
        )
