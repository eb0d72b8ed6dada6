"""LB206 and LB214: a local variable read where it may not be assigned (Python).

A small definite-assignment analysis over one function at a time: statements are
walked in order with the set of names certainly assigned so far; branches intersect,
paths that end in return/raise/break/continue, `assert False`, a context manager that
always re-raises, or a call that never returns (`sys.exit()`, a `NoReturn` function of
the file) drop out; `try` handlers start from the state before the `try`. Reads and
walrus bindings follow Python's evaluation order. Loops are treated optimistically (a
name assigned anywhere in a loop, the loop variable included, counts as assigned inside
it and after it). Only names local to the function are checked.

LB206 reports a read that comes before every assignment (it always raises); LB214
(preview) reads after an assignment that only some paths make, which on real code are
mostly guarded by a condition the analysis cannot correlate.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from contextlib import suppress

from tree_sitter import Node, QueryCursor

from lantern.analysis import pyflow
from lantern.analysis.context import FileContext, compiled_query
from lantern.analysis.pyflow import parameters
from lantern.analysis.rules.declarations import POSSIBLY_UNASSIGNED, USED_BEFORE_ASSIGNMENT
from lantern.analysis.rules.model import PYTHON, Hit
from lantern.analysis.rules.selection import is_enabled

Names = frozenset[str]
_SCOPE_BREAKS = frozenset(
    {"function_definition", "lambda", "class_definition", "decorated_definition"}
)
_COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
_FALSE = frozenset({"False", "0", "None"})
_TARGET_CONTAINERS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern"}
)


# Every function with a body (LB207's checks share it: one match per function for all).
FUNCTION_QUERY = "(function_definition body: (block) @body) @function"


@USED_BEFORE_ASSIGNMENT.check(PYTHON, FUNCTION_QUERY)
def _used_before_assignment(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    """LB206: read where no path has assigned it yet (before the first assignment)."""
    # Without LB214, only names read before their first assignment can be reported:
    # far fewer functions to walk. With it, both rules share one full walk.
    only_first = not ctx.memo("py.lb214", lambda: is_enabled(POSSIBLY_UNASSIGNED, ctx.options))
    function, body = captures["function"][0], captures["body"][0]
    for name, node, maybe in _unbound_reads(ctx, function, body, only_first):
        if not maybe:
            yield Hit.at(
                node, f"`{name}` is read before it is assigned, so this raises UnboundLocalError."
            )


@POSSIBLY_UNASSIGNED.check(PYTHON, FUNCTION_QUERY)
def _possibly_unassigned(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    """LB214: read after an assignment that only some paths make."""
    for name, node, maybe in _unbound_reads(ctx, captures["function"][0], captures["body"][0]):
        if maybe:
            yield Hit.at(
                node,
                f"`{name}` may be unassigned here: it is assigned only on some paths before "
                "this line. Assign a default first or handle every branch.",
            )


def _unbound_reads(
    ctx: FileContext, function: Node, body: Node, only_first: bool = False
) -> list[tuple[str, Node, bool]]:
    """(name, first read, assigned on some earlier path) for each local read unbound;
    `only_first`: only the names read before their first assignment (LB206's)."""

    def compute() -> list[tuple[str, Node, bool]]:
        candidates = _read_first(ctx, function) if only_first else _candidates(ctx, function)
        if not candidates:
            return []
        analysis = _Function(ctx, function, candidates)
        if not analysis.locals:
            return []
        with suppress(_NothingLeft):
            analysis.block(body, frozenset(parameters(function)))
        found = []
        for name, node in analysis.reported.items():
            earlier = analysis.first_binding.get(name)
            if earlier is not None and _guarded_after(node, function, earlier):
                continue  # read under a later condition, likely the one that assigned it
            found.append((name, node, earlier is not None and earlier < node.start_byte))
        return found

    return ctx.memo(("py.unbound", function.id, only_first), compute)


def _read_first(ctx: FileContext, function: Node) -> frozenset[str]:
    """The local names (not parameters) an identifier reads at or before their first
    assignment (the only reads LB206 reports: see `maybe` above). Mentions in strings,
    comments and attribute names are not reads, which leaves most functions with none."""
    found: set[str] = set()
    names = pyflow.scope_facts(ctx, function).bindings
    body = function.child_by_field_name("body") if names else None
    if body is None:
        return frozenset()
    source, body_start = ctx.source, body.start_byte
    root = None
    arguments: set[str] | None = None  # never tracked (see `_Function`): asked on a read
    for name, bindings in names.items():
        for binding in bindings:
            own = binding.node
            if own.type != "for_in_clause":
                break
        else:
            continue  # bound only by comprehensions: not the function's own
        needle = name.encode()
        length = len(needle)
        own_start = own.start_byte
        end = own_start + length
        position = source.find(needle, body_start, end)
        if position == own_start and _assigned_there(own, length):
            continue  # the first mention is the name assigned (`name = ...`): not a read
        while position != -1:
            before = source[position - 1 : position]
            after = source[position + length : position + length + 1]
            if not (before.isalnum() or before == b"_" or after.isalnum() or after == b"_"):
                if root is None:
                    root = ctx.tree.root_node
                node = root.descendant_for_byte_range(position, position + length)
                if (
                    node is not None
                    and node.type == "identifier"
                    and node.start_byte == position
                    and node.end_byte == position + length
                    and _is_read(node)
                ):
                    arguments = parameters(function) if arguments is None else arguments
                    if name not in arguments:
                        found.add(name)
                    break
            position = source.find(needle, position + 1, end)
    return frozenset(found)


def _assigned_there(binding: Node, length: int) -> bool:
    """Is `binding` a plain assignment to an identifier `length` bytes long (the name
    that starts it), which `_is_read` would call no read, without looking it up?"""
    if binding.type != "assignment":
        return False
    left = binding.child_by_field_name("left")
    return (
        left is not None
        and left.type == "identifier"
        and left.start_byte == binding.start_byte
        and left.end_byte == binding.start_byte + length
    )


def _candidates(ctx: FileContext, function: Node) -> frozenset[str]:
    """Cheap filter: the names assigned inside a branch or `try` and mentioned again after
    that statement, or mentioned before their first assignment. Only these can have a
    finding, so the analysis tracks only them."""
    found: set[str] = set()
    facts = pyflow.scope_facts(ctx, function)
    body = function.child_by_field_name("body")
    conditionals = _conditional_spans(ctx, function)
    for name, bindings in facts.bindings.items():
        first = bindings[0].node
        if body is not None and _mentioned(
            ctx.source, name, body.start_byte, first.start_byte, after_dot=False
        ):
            found.add(name)  # mentioned before its first assignment
            continue
        for binding in bindings:
            if binding.node.type in ("for_statement", "for_in_clause"):
                continue
            position = binding.node.start_byte
            around = [
                (end, is_try) for start, end, is_try in conditionals if start < position < end
            ]
            if not around:
                break  # assigned unconditionally: later branches cannot unset it
            # After the branch; for `try`, its handlers and `finally` count as after.
            after = position + 1 if any(is_try for _, is_try in around) else max(around)[0]
            if _mentioned(ctx.source, name, after, function.end_byte, after_dot=True):
                found.add(name)
                break
    return frozenset(found)


_GUARDS = frozenset(
    {"if_statement", "elif_clause", "else_clause", "conditional_expression", "while_statement",
     "boolean_operator", "case_clause"}
)  # fmt: skip


def _guarded_after(read: Node, function: Node, binding_start: int) -> bool:
    """Is `read` inside a condition that starts after the variable's first assignment?

    Conditionally assigned variables are often read under a correlated condition
    (`if verbose: start = now()` ... `if verbose: print(now() - start)`); without
    evaluating conditions that cannot be told apart from a bug, so it stays quiet.
    """
    parent = read.parent
    while parent is not None and parent != function:
        if parent.type in _GUARDS and parent.start_byte > binding_start:
            return True
        parent = parent.parent
    return False


def _mentioned(source: bytes, name: str, start: int, end: int, *, after_dot: bool) -> bool:
    """Does `name` occur as a whole word in source[start:end]? (`after_dot`: also as an
    attribute, `x.name`.) A find loop: compiling a regex per name costs more."""
    needle = name.encode()
    position = source.find(needle, start, end)
    while position != -1:
        before = source[position - 1 : position] if position > 0 else b" "
        after = source[position + len(needle) : position + len(needle) + 1]
        if not (before.isalnum() or before == b"_" or (before == b"." and not after_dot)) and not (
            after.isalnum() or after == b"_"
        ):
            return True
        position = source.find(needle, position + 1, end)
    return False


def _conditional_spans(ctx: FileContext, function: Node) -> list[tuple[int, int, bool]]:
    """(start, end, is a try) of the branching statements inside `function`."""

    def collect() -> tuple[list[int], list[tuple[int, int, bool]]]:
        query = compiled_query(
            ctx.language,
            "[(if_statement) (try_statement) (match_statement) (while_statement)] @branch",
        )
        if ctx.region is None:
            nodes = pyflow.file_captures(ctx).get("branch", [])
        else:
            cursor = QueryCursor(query)
            cursor.set_byte_range(*ctx.region)
            nodes = cursor.captures(ctx.tree.root_node).get("branch", [])
        spans = sorted((n.start_byte, n.end_byte, n.type == "try_statement") for n in nodes)
        return [span[0] for span in spans], spans

    starts, spans = ctx.memo(("py.branches", ctx.region), collect)
    low = bisect_left(starts, function.start_byte)
    high = bisect_left(starts, function.end_byte)
    return spans[low:high]


class _NothingLeft(Exception):
    """The rest of the function mentions no tracked name: the walk can stop."""


class _Function:
    def __init__(self, ctx: FileContext, function: Node, candidates: frozenset[str]) -> None:
        self.ctx = ctx
        self.reported: dict[str, Node] = {}
        self.first_binding: dict[str, int] = {}
        self.facts = pyflow.scope_facts(ctx, function)
        declared: set[str] = set()
        body = ctx.source[function.start_byte : function.end_byte]
        if b"global " in body or b"nonlocal " in body:
            for node in _scope_nodes(function):
                if node.type in ("global_statement", "nonlocal_statement"):
                    declared.update(ctx.text(n) for n in node.named_children)
        bound: set[str] = set()
        for name, bindings in self.facts.bindings.items():
            own = [b for b in bindings if b.node.type != "for_in_clause"]
            if own:
                bound.add(name)
                self.first_binding[name] = own[0].node.start_byte
        self.locals = frozenset(bound - declared - parameters(function)) & candidates
        self._needles = [name.encode() for name in self.locals]
        # Where the last mention of a tracked name starts: the walk visits statements in
        # source order, and past that point nothing more can be reported.
        text = ctx.source[function.start_byte : function.end_byte]
        self.last_mention = function.start_byte + max(
            (text.rfind(needle) for needle in self._needles), default=-1
        )

    # -- statements ---------------------------------------------------------------------

    def block(self, block: Node | None, defined: Names) -> Names | None:
        """The names certainly assigned after `block`, or None if it never falls through."""
        if block is None:
            return defined
        state: Names | None = defined
        for statement in block.named_children:
            if state is None:
                return None  # unreachable code is another rule's business
            if statement.start_byte > self.last_mention:
                raise _NothingLeft
            state = self.statement(statement, state)
        return state

    def statement(self, node: Node, defined: Names) -> Names | None:
        kind = node.type
        if kind == "if_statement":
            return self._if(node, defined)
        if kind in ("for_statement", "while_statement"):
            return self._loop(node, defined)
        if kind == "try_statement":
            return self._try(node, defined)
        if kind == "with_statement":
            state = defined
            for part in node.named_children:
                if part.type == "with_clause":
                    for item in part.named_children:  # `with a() as x, x.b() as y`
                        self.check_reads(item, state)
                        state = state | self.binds(item)
            after = self.block(node.child_by_field_name("body"), state)
            return None if pyflow.always_raises(self.ctx, node) else after
        if kind == "match_statement":
            return self._match(node, defined)
        if kind in _SCOPE_BREAKS:
            return defined | self.binds(node)
        self.check_reads(node, defined)
        if kind in ("return_statement", "raise_statement", "break_statement", "continue_statement"):
            return None
        if kind == "assert_statement" and self.ctx.text(node.named_children[0]) in _FALSE:
            return None  # `assert False`: this path never continues
        if kind == "expression_statement" and pyflow.never_returns(self.ctx, node):
            return None
        return defined | self.binds(node)

    def _if(self, node: Node, defined: Names) -> Names | None:
        condition = node.child_by_field_name("condition")
        self.check_reads(condition, defined)
        state = defined | self.binds(condition)
        outcomes = [self.block(node.child_by_field_name("consequence"), state)]
        has_else = False
        for alternative in node.children_by_field_name("alternative"):
            if alternative.type == "elif_clause":
                test = alternative.child_by_field_name("condition")
                self.check_reads(test, state)
                state = state | self.binds(test)
                outcomes.append(self.block(alternative.child_by_field_name("consequence"), state))
            else:
                has_else = True
                outcomes.append(self.block(alternative.child_by_field_name("body"), state))
        if not has_else:
            outcomes.append(state)
        return _meet(outcomes)

    def _loop(self, node: Node, defined: Names) -> Names | None:
        header = node.child_by_field_name("right") or node.child_by_field_name("condition")
        self.check_reads(header, defined)
        body = node.child_by_field_name("body")
        inside = defined | self.binds(header) | self.binds_anywhere(body)
        left = node.child_by_field_name("left")
        if left is not None:
            inside = inside | {self.ctx.text(n) for n in _targets(left)}
        self.block(body, inside)
        # Optimistic: a value assigned in the loop is taken to survive it (loops over
        # empty sequences are rarely the bug, and reporting them would be noise).
        after = inside
        alternative = node.child_by_field_name("alternative")
        if alternative is not None:
            result = self.block(alternative.child_by_field_name("body"), after)
            return result if result is not None else after
        return after

    def _try(self, node: Node, defined: Names) -> Names | None:
        body = node.child_by_field_name("body")
        body_state = self.block(body, defined)
        # Leading assignments without calls (`loop = self._loop`) cannot fail in practice:
        # handlers and `finally` may rely on them.
        for statement in body.named_children if body is not None else []:
            if statement.type != "expression_statement" or b"(" in (statement.text or b"("):
                break
            defined = defined | self.binds(statement)
        # Loop variables of the body count as set, as they do after a loop.
        defined = defined | frozenset(
            name
            for name, bindings in self.facts.bindings.items()
            if body is not None
            and any(
                b.node.type == "for_statement"
                and body.start_byte <= b.node.start_byte < body.end_byte
                for b in bindings
            )
        )
        outcomes: list[Names | None] = []
        finally_block = None
        else_block = None
        for part in node.named_children:
            if part.type == "except_clause":
                state = defined
                for child in part.named_children:
                    if child.type != "block":
                        self.check_reads(child, state)
                        state = state | self.binds(child)
                block = next((c for c in part.named_children if c.type == "block"), None)
                outcomes.append(self.block(block, state))
            elif part.type == "else_clause":
                else_block = part.child_by_field_name("body")
            elif part.type == "finally_clause":
                finally_block = next((c for c in part.named_children if c.type == "block"), None)
        if else_block is not None and body_state is not None:
            body_state = self.block(else_block, body_state)
        outcomes.insert(0, body_state)
        after = _meet(outcomes)
        if finally_block is not None:
            finally_state = self.block(finally_block, defined)
            if finally_state is None:
                return None
            if after is not None:
                after = after | (finally_state - defined)
        return after

    def _match(self, node: Node, defined: Names) -> Names | None:
        subject = node.child_by_field_name("subject")
        self.check_reads(subject, defined)
        body = node.child_by_field_name("body")
        outcomes: list[Names | None] = []
        exhaustive = False
        for case in body.named_children if body is not None else []:
            if case.type != "case_clause":
                continue
            pattern = next((c for c in case.named_children if c.type == "case_pattern"), None)
            captured = (
                frozenset(self.ctx.text(n) for n in _walk(pattern) if n.type == "identifier")
                if pattern is not None
                else frozenset()
            )
            if (pattern is not None and self.ctx.text(pattern) == "_") or (
                pattern is not None
                and pattern.named_child_count == 1
                and pattern.named_children[0].type == "dotted_name"
                and "." not in self.ctx.text(pattern)
                and case.child_by_field_name("guard") is None
            ):
                exhaustive = True
            outcomes.append(self.block(case.child_by_field_name("consequence"), defined | captured))
        if not exhaustive:
            outcomes.append(defined)
        return _meet(outcomes)

    # -- names --------------------------------------------------------------------------

    def _mentions(self, node: Node) -> bool:
        """Does `node`'s text contain a tracked name? (Skips the walk when it cannot.)"""
        text = self.ctx.source[node.start_byte : node.end_byte]
        return any(needle in text for needle in self._needles)

    def check_reads(self, node: Node | None, defined: Names) -> None:
        if node is None or not self._mentions(node):
            return
        # Walrus targets become bound when their value has been evaluated, in Python's
        # evaluation order (a conditional's test before its branches, a comprehension's
        # clauses before its element), not in source order.
        walrus: set[str] = set()
        for event, identifier in _evaluation(node):
            name = self.ctx.text(identifier)
            if event == "bind":
                walrus.add(name)
            elif (
                name in self.locals
                and name not in defined
                and name not in walrus
                and name not in self.reported
            ):
                self.reported[name] = identifier

    def binds(self, node: Node | None) -> Names:
        """Tracked names bound by `node` itself (not inside nested blocks or scopes)."""
        if node is None or not self._mentions(node):
            return frozenset()
        return frozenset(self.ctx.text(n) for n in _bound_in(node))

    def binds_anywhere(self, node: Node | None) -> Names:
        """Names bound anywhere inside `node` (a loop body), in this function's scope."""
        if node is None:
            return frozenset()
        start, end = node.start_byte, node.end_byte
        return frozenset(
            name
            for name, bindings in self.facts.bindings.items()
            if any(
                start <= b.node.start_byte < end and b.node.type != "for_in_clause"
                for b in bindings
            )
        )


def _meet(outcomes: list[Names | None]) -> Names | None:
    live = [o for o in outcomes if o is not None]
    if not live:
        return None
    result = live[0]
    for other in live[1:]:
        result = result & other
    return result


def _walk(node: Node, skip: frozenset[str] = frozenset()) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and current.type in skip:
            continue
        stack.extend(reversed(current.named_children))


def _scope_nodes(node: Node) -> Iterator[Node]:
    """Every node in this function's own scope (not nested functions or comprehensions)."""
    for current in _walk(node, _SCOPE_BREAKS | _COMPREHENSIONS):
        if current is not node and current.type in _COMPREHENSIONS:
            continue
        yield current


def _targets(node: Node) -> Iterator[Node]:
    if node.type == "identifier":
        yield node
    elif node.type in _TARGET_CONTAINERS:
        for child in node.named_children:
            yield from _targets(child)


def _bound_here(node: Node) -> Iterator[Node]:
    """Identifiers that `node` itself binds (one level: the node's own binding form)."""
    kind = node.type
    if kind in ("assignment", "augmented_assignment"):
        left = node.child_by_field_name("left")
        if left is not None:
            yield from _targets(left)
    elif kind == "named_expression":
        name = node.child_by_field_name("name")
        if name is not None:
            yield name
    elif kind in ("for_statement",):
        left = node.child_by_field_name("left")
        if left is not None:
            yield from _targets(left)
    elif kind == "as_pattern_target":
        yield from (n for n in node.named_children if n.type == "identifier")
    elif kind in ("function_definition", "class_definition"):
        name = node.child_by_field_name("name")
        if name is not None:
            yield name
    elif kind == "import_statement":
        for name in node.children_by_field_name("name"):
            alias = name.child_by_field_name("alias") if name.type == "aliased_import" else None
            yield (
                alias
                if alias is not None
                else (name.named_children[0] if name.named_child_count else name)
            )
    elif kind == "import_from_statement":
        for name in node.children_by_field_name("name"):
            alias = name.child_by_field_name("alias") if name.type == "aliased_import" else None
            yield (
                alias
                if alias is not None
                else (name.named_children[-1] if name.named_child_count else name)
            )


def _bound_in(node: Node) -> Iterator[Node]:
    """Bindings made by a simple statement or header, not inside nested blocks."""
    for current in _walk(node, _SCOPE_BREAKS | _COMPREHENSIONS | {"block"}):
        if current is not node and current.type in _COMPREHENSIONS | {"block"}:
            continue
        if current.type == "for_statement" and current is not node:
            continue
        yield from _bound_here(current)


_NOT_READS_PARENT_FIELDS = {
    ("attribute", "attribute"),
    ("keyword_argument", "name"),
    ("assignment", "left"),
    ("named_expression", "name"),
    ("for_statement", "left"),
    ("for_in_clause", "left"),
    ("function_definition", "name"),
    ("class_definition", "name"),
    ("default_parameter", "name"),
    ("typed_default_parameter", "name"),
    ("aliased_import", "alias"),
}


def _evaluation(node: Node) -> Iterator[tuple[str, Node]]:
    """("read", identifier) and ("bind", walrus target) events of evaluating `node` (a
    simple statement or a header), in Python's evaluation order."""
    stack: list[tuple[Node, Names, bool]] = [(node, frozenset(), False)]
    while stack:
        current, names, bind = stack.pop()
        if bind:
            yield "bind", current
            continue
        kind = current.type
        if current is not node and kind in (
            "block",
            "lambda",
            "function_definition",
            "class_definition",
            "decorated_definition",
        ):
            continue
        if kind in (
            "global_statement",
            "nonlocal_statement",
            "import_statement",
            "import_from_statement",
            "case_pattern",
        ):
            continue
        if kind == "identifier":
            if (current.text or b"").decode() not in names and _is_read(current):
                yield "read", current
            continue
        children = current.named_children
        if kind in _COMPREHENSIONS:
            names = names | frozenset(
                (n.text or b"").decode()
                for clause in children
                if clause.type == "for_in_clause"
                for target in [clause.child_by_field_name("left")]
                if target is not None
                for n in _targets(target)
            )
            # The `for`/`if` clauses run before the element expression.
            children = [*children[1:], children[0]] if children else children
        elif kind == "conditional_expression" and len(children) == 3:
            children = [children[1], children[0], children[2]]  # `a if test else b`
        elif kind == "named_expression":
            target = current.child_by_field_name("name")
            value = current.child_by_field_name("value")
            if target is not None:
                stack.append((target, names, True))
            if value is not None:
                stack.append((value, names, False))
            continue
        stack.extend((child, names, False) for child in reversed(children))


def _is_read(identifier: Node) -> bool:
    parent = identifier.parent
    if parent is None:
        return True
    if parent.type in _TARGET_CONTAINERS | {
        "as_pattern_target",
        "parameters",
        "lambda_parameters",
        "typed_parameter",
        "list_splat_pattern",
        "dictionary_splat_pattern",
        "dotted_name",
        "aliased_import",
    }:
        return False
    for index, child in enumerate(parent.children):
        if child == identifier:
            field = parent.field_name_for_child(index)
            return (parent.type, field) not in _NOT_READS_PARENT_FIELDS
    return True
