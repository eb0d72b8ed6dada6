"""Python facts shared by rules: import aliases, qualified names, values assigned earlier
in a function, `**kwargs` dictionaries, and how a string was built.

These are the indirect forms that make the difference between a rule that finds
`subprocess.run(cmd, shell=True)` and one that also finds
`from subprocess import run as sh; opts = {"shell": True}; sh(f"ls {d}", **opts)`.
The analysis is deliberately local (one file, one function, flow-insensitive within
source order) so it is fast and predictable. Nothing here raises on odd trees.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from tree_sitter import Node, Query, QueryCursor

from lantern.analysis.context import FileContext, compiled_query, string_value
from lantern.analysis.rules.model import GATHERED_FACTS, GatheredFact

_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
_MAX_DEPTH = 6


def _query(ctx: FileContext, source: str) -> Query:
    return compiled_query(ctx.language, source)


# -- imports ------------------------------------------------------------------------------


def imports(ctx: FileContext) -> dict[str, str]:
    """Local name -> qualified name, from every import in the file."""
    return ctx.memo("py.imports", lambda: _collect_imports(ctx))


def _collect_imports(ctx: FileContext) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in file_captures(ctx).get("import", []):
        if node.type == "import_statement":
            for name in node.children_by_field_name("name"):
                if name.type == "aliased_import":
                    alias = name.child_by_field_name("alias")
                    names[ctx.text(alias)] = ctx.text(name.child_by_field_name("name"))
                else:
                    dotted = ctx.text(name)
                    names[dotted.split(".")[0]] = dotted.split(".")[0]
        else:
            module = ctx.text(node.child_by_field_name("module_name")).lstrip(".")
            for name in node.children_by_field_name("name"):
                if name.type == "aliased_import":
                    local = ctx.text(name.child_by_field_name("alias"))
                    imported = ctx.text(name.child_by_field_name("name"))
                else:
                    local = imported = ctx.text(name)
                names[local] = f"{module}.{imported}" if module else imported
    return names


# -- paths that always raise ---------------------------------------------------------------

# Library context managers that re-raise the active exception when their block ends
# (SQLAlchemy's `safe_reraise`, oslo's `save_and_reraise_exception`).
_RERAISING_MANAGERS = frozenset({"safe_reraise", "save_and_reraise_exception"})


def reraising_managers(ctx: FileContext) -> frozenset[str]:
    """Names of context managers whose `with` block never completes normally: the known
    library ones, and `@contextmanager` generators of this file whose body ends in a
    `raise` after its `yield`."""
    return ctx.memo("py.reraising", lambda: _collect_reraising(ctx))


def _collect_reraising(ctx: FileContext, within: Node | None = None) -> frozenset[str]:
    """The names for the whole file, or only from the definitions inside `within`."""
    names = set(_RERAISING_MANAGERS)
    start, end = (within.start_byte, within.end_byte) if within else (0, len(ctx.source))
    if ctx.source.find(b"contextmanager", start, end) == -1:
        return frozenset(names)
    cursor = QueryCursor(
        _query(ctx, "(decorated_definition definition: (function_definition)) @definition")
    )
    cursor.set_byte_range(start, end)
    for node in cursor.captures(ctx.tree.root_node).get("definition", []):
        if not start <= node.start_byte < end:
            continue
        decorators = [ctx.text(d).lstrip("@").strip() for d in node.named_children[:-1]]
        if not any(d.split(".")[-1] == "contextmanager" for d in decorators):
            continue
        function = node.child_by_field_name("definition")
        body = function.child_by_field_name("body") if function is not None else None
        statements = body.named_children if body is not None else []
        yields = [i for i, s in enumerate(statements) if _is_yield(s)]
        if yields and statements[-1].type == "raise_statement" and yields[0] < len(statements) - 1:
            names.add(ctx.text(function.child_by_field_name("name")))
    return frozenset(names)


def _is_yield(statement: Node) -> bool:
    return statement.type == "expression_statement" and any(
        child.type == "yield" for child in statement.named_children
    )


def always_raises(ctx: FileContext, statement: Node) -> bool:
    """Does `statement` never complete normally: `raise`, or a `with` block under a
    context manager that always re-raises (see `reraising_managers`)?"""
    if statement.type == "raise_statement":
        return True
    if statement.type != "with_statement":
        return False
    managers = reraising_managers(ctx)
    for clause in statement.named_children:
        if clause.type != "with_clause":
            continue
        for item in clause.named_children:
            value = item.named_children[0] if item.named_child_count else None
            if value is not None and value.type == "as_pattern":
                value = value.named_children[0] if value.named_child_count else None
            if value is not None and value.type == "call":
                name = ctx.text(value.child_by_field_name("function")).split(".")[-1]
                if name in managers:
                    return True
    return False


# Calls that never return: the process exits or the test stops.
_NO_RETURN_CALLS = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "os.abort", "pytest.fail", "pytest.skip",
     "pytest.exit", "abort", "typer.Exit", "parser.error"}
)  # fmt: skip
_NO_RETURN_METHODS = frozenset({"fail", "skipTest"})  # unittest's, and test helpers'
_NO_RETURN_ANNOTATION = re.compile(r"\b(NoReturn|Never)\b")


def never_returns(ctx: FileContext, statement: Node) -> bool:
    """Is `statement` a call that never returns: `sys.exit()`, `self.fail()`, or a
    function or method of this file annotated `NoReturn` or whose body always raises?"""
    call = statement.named_children[0] if statement.named_child_count else None
    if call is None or call.type != "call":
        return False
    function = call.child_by_field_name("function")
    text = ctx.text(function)
    if text in _NO_RETURN_CALLS or qualified_name(ctx, function) in _NO_RETURN_CALLS:
        return True
    if function is not None and function.type == "attribute":
        holder = ctx.text(function.child_by_field_name("object"))
        method = ctx.text(function.child_by_field_name("attribute"))
        return method in _NO_RETURN_METHODS or (
            holder in ("self", "cls") and method in no_return_functions(ctx)
        )
    return text in no_return_functions(ctx)


def no_return_functions(ctx: FileContext) -> frozenset[str]:
    """Names of this file's functions and methods that never return normally."""
    return ctx.memo("py.no-return", lambda: _collect_no_return(ctx))


def _collect_no_return(ctx: FileContext) -> frozenset[str]:
    names: set[str] = set()
    for function in file_captures(ctx).get("function", []):
        if function.type != "function_definition":
            continue
        name = ctx.text(function.child_by_field_name("name"))
        annotation = function.child_by_field_name("return_type")
        if annotation is not None and _NO_RETURN_ANNOTATION.search(ctx.text(annotation)):
            names.add(name)
            continue
        body = function.child_by_field_name("body")
        statements = [s for s in (body.named_children if body else []) if s.type != "comment"]
        if not statements or statements[-1].type != "raise_statement":
            continue
        own = ctx.source[body.start_byte : body.end_byte]
        if b"return" not in own and b"yield" not in own:
            names.add(name)
    return frozenset(names)


# -- assignments --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Binding:
    """`name` got `value` at `node` (value None: bound by a loop, parameter, ...)."""

    node: Node
    value: Node | None
    augmented: bool = False


@dataclass(slots=True)
class ScopeFacts:
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    subscript_sets: dict[str, list[tuple[Node, Node]]] = field(default_factory=dict)  # d[k] = v
    attribute_sets: list[tuple[Node, Node]] = field(default_factory=list)  # x.attr = v

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


_ASSIGNMENT_QUERY = """
[(assignment) (augmented_assignment) (named_expression) (as_pattern)
 (for_statement) (for_in_clause)] @bind
"""


# One traversal collects what several facts need for a whole file: each whole-file
# query costs a walk of every node, a few milliseconds on a 3,500-line file.
_FILE_QUERY = f"""
{_ASSIGNMENT_QUERY}
[(function_definition) (lambda)] @function
[(if_statement) (try_statement) (match_statement) (while_statement)] @branch
[(import_statement) (import_from_statement)] @import
"""


def file_captures(ctx: FileContext) -> dict[str, list[Node]]:
    """Bindings (`bind`), functions and lambdas (`function`), branching statements
    (`branch`) and imports (`import`) of the whole file, each sorted by position
    (gathered by the engine's traversal on a full analysis; else by a query here)."""

    def collect() -> dict[str, list[Node]]:
        found = QueryCursor(_query(ctx, _FILE_QUERY)).captures(ctx.tree.root_node)
        return _sorted(found)

    return ctx.memo("py.file", collect)


def defined_functions(ctx: FileContext) -> tuple[frozenset[str], frozenset[str]]:
    """(names defined with `async def`, names defined with plain `def`) in the file."""
    async_names, sync_names = set(), set()
    for function in file_captures(ctx).get("function", []):
        name = function.child_by_field_name("name")
        if function.type != "function_definition" or name is None or name.type != "identifier":
            continue
        is_async = function.child_count > 0 and function.children[0].type == "async"
        (async_names if is_async else sync_names).add(ctx.text(name))
    return frozenset(async_names), frozenset(sync_names)


def statement_facts(ctx: FileContext, statements: list[Node]) -> list[StatementFacts]:
    """What each of `statements` (top-level, in file order) contributes to the file facts
    (see `combine_facts`), from one query over the range they span."""
    starts = [statement.start_byte for statement in statements]
    cursor = QueryCursor(_query(ctx, _FILE_QUERY))
    cursor.set_byte_range(starts[0], statements[-1].end_byte)
    found: list[dict[str, list[Node]]] = [{} for _ in statements]
    for name, nodes in cursor.captures(ctx.tree.root_node).items():
        for node in nodes:
            index = bisect_right(starts, node.start_byte) - 1
            if index >= 0 and node.start_byte < statements[index].end_byte:
                found[index].setdefault(name, []).append(node)
    parts = []
    for statement, captures in zip(statements, found, strict=True):
        own = FileContext(ctx.language, ctx.source, ctx.tree, ctx.options)
        own.memo("py.file", lambda captures=captures: _sorted(captures))
        async_names, sync_names = defined_functions(own)
        parts.append(
            StatementFacts(
                tuple(_collect_imports(own).items()),
                async_names,
                sync_names,
                _collect_no_return(own),
                _collect_reraising(ctx, statement),
            )
        )
    return parts


@dataclass(frozen=True, slots=True)
class StatementFacts:
    imports: tuple[tuple[str, str], ...]  # (local name, qualified name), in file order
    async_names: frozenset[str]  # defined with `async def`
    sync_names: frozenset[str]  # defined with `def`
    no_return: frozenset[str]
    reraising: frozenset[str]


def combine_facts(
    parts: list[StatementFacts],
) -> tuple[dict[str, str], set[str], set[str], frozenset[str], frozenset[str]]:
    """The whole file's (imports, async-only names, sync names, no-return functions,
    re-raising managers), equal to what `imports`, `_async_functions`,
    `no_return_functions` and `reraising_managers` compute over the whole file."""
    imported: dict[str, str] = {}
    async_names: set[str] = set()
    sync_names: set[str] = set()
    no_return: set[str] = set()
    reraising: set[str] = set(_RERAISING_MANAGERS)
    for part in parts:
        imported.update(part.imports)  # later imports rebind the name, as at run time
        async_names |= part.async_names
        sync_names |= part.sync_names
        no_return |= part.no_return
        reraising |= part.reraising
    return (
        imported,
        async_names - sync_names,
        sync_names,
        frozenset(no_return),
        frozenset(reraising),
    )


def _sorted(found: dict[str, list[Node]]) -> dict[str, list[Node]]:
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}


def _file_captures_key(ctx: FileContext) -> object:
    # Only a traversal of the whole file gathers them (a region's would be partial).
    return "py.file" if ctx.region is None else ("py.file-in", ctx.region)


def _from_matches(ctx: FileContext, matches: list[dict[str, list[Node]]]) -> dict[str, list[Node]]:
    found: dict[str, list[Node]] = {}
    for captures in matches:
        for name, nodes in captures.items():
            bucket = found.get(name)
            if bucket is None:  # not `setdefault`: it would build a list per match
                bucket = found[name] = []
            bucket.extend(nodes)
    return _sorted(found)


GATHERED_FACTS.append(GatheredFact(("python",), _FILE_QUERY, _file_captures_key, _from_matches))


def scope_facts(ctx: FileContext, scope: Node) -> ScopeFacts:
    """Every binding made directly in `scope` (a function or the module), in source order."""
    kind = scope.type
    if ctx.region is None and (kind == "function_definition" or kind == "lambda"):
        # The common question (every check asks it per function on a full analysis):
        # answered without building the root node or a closure.
        every = ctx._memo.get(("py.scopes", None))
        if every is None:
            every = ctx.memo(("py.scopes", None), lambda: _collect(ctx, ctx.tree.root_node))
        facts = every.get(scope.id)
        return facts if facts is not None else ScopeFacts()
    if scope.id == ctx.tree.root_node.id:
        if ctx.region is None:
            every = ctx.memo(("py.scopes", None), lambda: _collect(ctx, scope))
            return every.get(None, ScopeFacts())
        return ctx.memo("py.module-scope", lambda: _collect(ctx, scope).get(None, ScopeFacts()))
    # One query over the analysed region serves every function in it.
    region = ctx.region
    inside = region is None or (region[0] <= scope.start_byte and scope.end_byte <= region[1])
    if inside:
        every = ctx.memo(("py.scopes", region), lambda: _collect(ctx, ctx.tree.root_node, region))
        return every.get(scope.id, ScopeFacts())
    return ctx.memo(
        ("py.scope", scope.id), lambda: _collect(ctx, scope).get(scope.id, ScopeFacts())
    )


def _collect(
    ctx: FileContext, within: Node, region: tuple[int, int] | None = None
) -> dict[int | None, ScopeFacts]:
    """Bindings under `within` (and in `region`), grouped by the id of the function that
    owns them (None for the module)."""
    grouped: dict[int | None, ScopeFacts] = {}
    chain_values: dict[int, Node | None] = {}  # the value of an assignment in a chain
    if region is None and within.id == ctx.tree.root_node.id:
        nodes = file_captures(ctx).get("bind", [])
    else:
        cursor = QueryCursor(_query(ctx, _ASSIGNMENT_QUERY))
        start, end = region if region is not None else (within.start_byte, within.end_byte)
        cursor.set_byte_range(start, end)
        # captures() does not promise document order; bindings must be in source order.
        nodes = sorted(cursor.captures(within).get("bind", []), key=lambda n: n.start_byte)
    # Outside a region every node's owner is found among the whole file's functions
    # (as `owning_scope` has it), fetched once here rather than once per node.
    if ctx.region is None:
        owners = _owners_in_order(_function_spans(ctx, None), nodes)
    else:
        owners = [owning_scope(ctx, node) for node in nodes]
    for node, owner in zip(nodes, owners, strict=True):
        key = owner.id if owner is not None else None
        facts = grouped.get(key)
        if facts is None:  # not `setdefault`: it would build a ScopeFacts per binding
            facts = grouped[key] = ScopeFacts()
        kind = node.type
        if kind in ("assignment", "augmented_assignment"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            augmented = kind == "augmented_assignment"
            if left is None:
                continue  # a broken tree
            if left.type == "identifier":
                value = chain_values.pop(node.id, right)
                if value is not None and value.type == "assignment":  # a = b = value
                    # The inner assignments come next (by start): each is told the value
                    # found here, so a chain of n costs n steps, not n²/2.
                    inner = []
                    while value is not None and value.type == "assignment":
                        inner.append(value.id)
                        value = value.child_by_field_name("right")
                    chain_values.update(dict.fromkeys(inner, value))
                facts.add(ctx.text(left), Binding(node, value, augmented))
            elif left.type in ("pattern_list", "tuple_pattern", "list_pattern"):
                for target in left.named_children:
                    if target.type == "identifier":
                        facts.add(ctx.text(target), Binding(node, None))
            elif left.type == "subscript" and right is not None:
                holder = left.child_by_field_name("value")
                if holder is not None and holder.type == "identifier":
                    facts.subscript_sets.setdefault(ctx.text(holder), []).append((left, right))
            elif left.type == "attribute" and right is not None:
                facts.attribute_sets.append((left, right))
        elif kind == "named_expression":
            name = node.child_by_field_name("name")
            facts.add(ctx.text(name), Binding(node, node.child_by_field_name("value")))
        elif kind == "as_pattern":
            alias = node.child_by_field_name("alias")
            target = alias.named_children[0] if alias and alias.named_child_count else None
            if target is not None and target.type == "identifier":
                value = (
                    node.named_children[0]
                    if node.parent and node.parent.type == "with_item"
                    else None
                )
                facts.add(ctx.text(target), Binding(node, value))
        else:  # for loops and comprehensions bind without a known value
            left = node.child_by_field_name("left")
            for target in (
                [left]
                if left is not None and left.type == "identifier"
                else (left.named_children if left is not None else [])
            ):
                if target.type == "identifier":
                    facts.add(ctx.text(target), Binding(node, None))
    return grouped


def _function_spans(
    ctx: FileContext, region: tuple[int, int] | None
) -> tuple[list[int], list[tuple[int, int, Node]], list[int]]:
    """Every function and lambda (in `region`, else the file) as (start, end, node),
    sorted by start; their starts; and for each, the index of the innermost one around
    it (-1 for none)."""

    def collect() -> tuple[list[int], list[tuple[int, int, Node]], list[int]]:
        if region is None:
            nodes = file_captures(ctx).get("function", [])
        else:  # functions around a node of the region are inside the region
            cursor = QueryCursor(_query(ctx, "[(function_definition) (lambda)] @function"))
            cursor.set_byte_range(*region)
            nodes = cursor.captures(ctx.tree.root_node).get("function", [])
        spans = sorted((n.start_byte, n.end_byte, n) for n in nodes)
        parents: list[int] = []
        open_: list[int] = []  # the spans around the current one, outermost first
        for index, (start, _, _) in enumerate(spans):
            while open_ and spans[open_[-1]][1] <= start:  # it ended before this one
                open_.pop()
            parents.append(open_[-1] if open_ else -1)
            open_.append(index)
        return [span[0] for span in spans], spans, parents

    return ctx.memo(("py.functions", region), collect)


def owning_scope(ctx: FileContext, node: Node) -> Node | None:
    """The innermost function or lambda strictly around `node` (None at module level).

    Computed from the functions' byte spans: `Node.parent` walks down from the root in
    tree-sitter, which is far too slow to call for every name in a large file. From the
    last function starting before `node`, only the functions around it are visited (the
    innermost around `node` is one of them): O(nesting), not O(functions), per node.
    """
    position = node.start_byte
    region = ctx.region
    inside = region is not None and region[0] <= position < region[1]
    return _innermost(_function_spans(ctx, region if inside else None), node)


def _innermost(
    functions: tuple[list[int], list[tuple[int, int, Node]], list[int]], node: Node
) -> Node | None:
    """The innermost of `functions` (as `_function_spans` gives them) strictly around
    `node`."""
    starts, spans, parents = functions
    position = node.start_byte
    index = bisect_right(starts, position) - 1
    while index >= 0:
        start, end, function = spans[index]
        same_span = start == position and end == node.end_byte
        if start <= position < end and function.id != node.id and not same_span:
            return function
        index = parents[index]
    return None


def _owners_in_order(
    functions: tuple[list[int], list[tuple[int, int, Node]], list[int]], nodes: list[Node]
) -> list[Node | None]:
    """`_innermost(functions, node)` for each of `nodes` (sorted by start byte), in one
    sweep: the last function starting at or before a node moves forward with it."""
    starts, spans, parents = functions
    owners: list[Node | None] = []
    following, count = 0, len(starts)  # the first function starting after the node
    for node in nodes:
        position = node.start_byte
        while following < count and starts[following] <= position:
            following += 1
        index, owner = following - 1, None
        while index >= 0:
            start, end, function = spans[index]
            same_span = start == position and end == node.end_byte
            if start <= position < end and function.id != node.id and not same_span:
                owner = function
                break
            index = parents[index]
        owners.append(owner)
    return owners


def scope_node(ctx: FileContext, node: Node) -> Node:
    return owning_scope(ctx, node) or ctx.tree.root_node


def parameters(function: Node) -> set[str]:
    names: set[str] = set()
    params = function.child_by_field_name("parameters")
    for param in params.named_children if params is not None else []:
        target = param.child_by_field_name("name") if param.type != "identifier" else param
        if target is None and param.named_child_count:
            target = param.named_children[0]
        # `*args: T` / `**kwargs: T`: the name sits inside the splat pattern.
        if target is not None and target.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            target = target.named_children[0] if target.named_child_count else None
        if target is not None and target.type == "identifier":
            names.add((target.text or b"").decode())
    return names


def bindings_before(ctx: FileContext, name: str, at: Node) -> list[Binding]:
    """Bindings of `name` visible at `at`: in its function before it, else module-level."""
    scope = scope_node(ctx, at)
    found = [
        b
        for b in scope_facts(ctx, scope).bindings.get(name, [])
        if b.node.start_byte < at.start_byte
    ]
    if found or (scope.type != "function_definition" and scope.type != "lambda"):
        return found
    if name in parameters(scope):
        return []
    return scope_facts(ctx, ctx.tree.root_node).bindings.get(name, [])


def resolve(ctx: FileContext, node: Node, depth: int = 0) -> Node:
    """Follow an identifier to the value last assigned to it (when that is known)."""
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type != "identifier" or depth > _MAX_DEPTH:
        return node
    plain = [b for b in bindings_before(ctx, ctx.text(node), node) if not b.augmented]
    if not plain or plain[-1].value is None:
        return node
    return resolve(ctx, plain[-1].value, depth + 1)


# -- qualified names ----------------------------------------------------------------------


def qualified_name(ctx: FileContext, node: Node | None, depth: int = 0) -> str | None:
    """`os.path.join` for `p.join` after `import os.path as p`; `requests.Session().get`
    for `s.get` after `s = requests.Session()`; None when the expression is not a name.
    """
    if node is None or depth > _MAX_DEPTH:
        return None
    kind = node.type
    if kind == "identifier":
        name = ctx.text(node)
        table = imports(ctx)
        if name in table:
            return table[name]
        value = resolve(ctx, node)
        if value is not node and value.type in ("identifier", "attribute", "call"):
            return qualified_name(ctx, value, depth + 1)
        return name
    if kind == "attribute":
        base = qualified_name(ctx, node.child_by_field_name("object"), depth + 1)
        attribute = ctx.text(node.child_by_field_name("attribute"))
        return f"{base}.{attribute}" if base else None
    if kind == "call":
        base = qualified_name(ctx, node.child_by_field_name("function"), depth + 1)
        return f"{base}()" if base else None
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return qualified_name(ctx, node.named_children[0], depth + 1)
    return None


def call_name(ctx: FileContext, call: Node) -> str:
    return qualified_name(ctx, call.child_by_field_name("function")) or ""


# -- arguments ----------------------------------------------------------------------------


def positional(call: Node, index: int) -> Node | None:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return None
    plain = [
        a
        for a in arguments.named_children
        if a.type not in ("keyword_argument", "list_splat", "dictionary_splat", "comment")
    ]
    return plain[index] if index < len(plain) else None


def keyword(ctx: FileContext, call: Node, name: str, depth: int = 0) -> Node | None:
    """The value passed as `name=`, directly or through a `**dict` built in the function."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or depth > _MAX_DEPTH:
        return None
    for argument in arguments.named_children:
        if argument.type == "keyword_argument":
            if ctx.text(argument.child_by_field_name("name")) == name:
                return argument.child_by_field_name("value")
        elif argument.type == "dictionary_splat" and argument.named_child_count:
            value = _dict_entry(ctx, argument.named_children[0], name, call, depth + 1)
            if value is not None:
                return value
    return None


def argument(ctx: FileContext, call: Node, index: int, name: str) -> Node | None:
    """The argument at position `index` or named `name`."""
    return positional(call, index) or keyword(ctx, call, name)


def _dict_entry(ctx: FileContext, expression: Node, key: str, at: Node, depth: int) -> Node | None:
    holder = expression
    value = resolve(ctx, expression)
    if value.type == "dictionary":
        for pair in value.named_children:
            if pair.type == "pair" and string_value(pair.child_by_field_name("key") or pair) == key:
                return pair.child_by_field_name("value")
    elif value.type == "call" and ctx.text(value.child_by_field_name("function")) == "dict":
        found = keyword(ctx, value, key, depth + 1)
        if found is not None:
            return found
    if holder.type == "identifier":  # opts["verify"] = False
        scope = scope_node(ctx, at)
        for target, assigned in scope_facts(ctx, scope).subscript_sets.get(ctx.text(holder), []):
            index = target.child_by_field_name("subscript")
            if (
                index is not None
                and string_value(index) == key
                and target.start_byte < at.start_byte
            ):
                return assigned
    return None


# -- strings ------------------------------------------------------------------------------


@dataclass(slots=True)
class StringShape:
    """What is known of a string expression: its literal text, and the non-literal parts
    spliced in (`dynamic`). `built` means formatting or concatenation made it."""

    literal: str = ""
    dynamic: list[Node] = field(default_factory=list)
    built: bool = False

    @property
    def is_literal(self) -> bool:
        return not self.dynamic

    def merge(self, other: StringShape) -> StringShape:
        return StringShape(
            self.literal + other.literal, self.dynamic + other.dynamic, self.built or other.built
        )


_PERCENT_VERB = re.compile(r"%(?:\([^)]*\))?[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?([a-zA-Z%])")
# Calls whose result cannot carry attacker-chosen text into a string: numbers, and the
# shell quoting functions.
_SAFE_CONVERSIONS = frozenset(
    {"int", "float", "len", "bool", "abs", "round", "ord", "hex", "shlex.quote", "quote",
     "pipes.quote", "shlex.join"}
)  # fmt: skip
# Identifier quoting (`connection.ops.quote_name(table)`, `quote_ident`, `qn(col)`): an
# identifier cannot be a placeholder, so quoting it is how SQL names are built safely.
# Matched on the callee's last segment, in any language (`escapeId`, `pq.QuoteIdentifier`).
IDENTIFIER_QUOTERS = re.compile(
    r"(?i)^_?(quote_?(name|names|ident|identifier|table|column|col|id)\w*|qn\w*|"
    r"escape_?(name|ident|identifier|table|column|id))$"
)
# Quoting methods of SQLAlchemy-style identifier preparers: `self.identifier_preparer.quote(x)`.
_IDENTIFIER_PREPARER = re.compile(r"(identifier_preparer|preparer)\.quote\w*$")
_PLACEHOLDER_TEXT = re.compile(r"^[\s,()?%s$:@\d]*$")
_CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def string_shape(ctx: FileContext, node: Node | None, depth: int = 0) -> StringShape:
    """How `node` was built, following names to their earlier assignments."""
    if node is None:
        return StringShape()
    if depth > _MAX_DEPTH:
        return StringShape(dynamic=[node])
    kind = node.type
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return string_shape(ctx, node.named_children[0], depth + 1)
    if kind in ("string", "concatenated_string"):
        return _fstring_shape(ctx, node, depth)
    if kind in ("integer", "float", "true", "false", "none"):
        return StringShape(literal=ctx.text(node))
    if kind == "binary_operator":
        operator = ctx.text(node.child_by_field_name("operator"))
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator == "+":
            shape = StringShape(built=True)
            for operand in concatenation_operands(ctx, node, "binary_operator"):
                shape = shape.merge(string_shape(ctx, operand, depth + 1))
            return shape
        if operator == "%" and left is not None and left.type in ("string", "concatenated_string"):
            shape = string_shape(ctx, left, depth + 1)
            values = (
                right.named_children if right is not None and right.type == "tuple" else [right]
            )
            if right is not None and right.type == "dictionary":  # "%(table)s" % {...}
                values = [p.child_by_field_name("value") for p in right.named_children]
            for value in values:
                if value is not None and not is_safe_value(ctx, value, depth + 1):
                    shape.dynamic.append(value)
            shape.built = True
            return shape
        return StringShape(dynamic=[node])
    if kind == "call":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "attribute":
            method = ctx.text(function.child_by_field_name("attribute"))
            receiver = function.child_by_field_name("object")
            if method == "format" and receiver is not None:
                shape = string_shape(ctx, receiver, depth + 1)
                arguments = node.child_by_field_name("arguments")
                for arg in arguments.named_children if arguments is not None else []:
                    value = (
                        arg.child_by_field_name("value") if arg.type == "keyword_argument" else arg
                    )
                    if value is not None and not is_safe_value(ctx, value, depth + 1):
                        shape.dynamic.append(value)
                shape.built = True
                return shape
            if method == "join" and receiver is not None:
                shape = string_shape(ctx, receiver, depth + 1)
                joined = positional(node, 0)
                if joined is not None and not is_safe_value(ctx, joined, depth + 1):
                    shape.dynamic.append(joined)
                shape.built = True
                return shape
        if ctx.text(function) in _SAFE_CONVERSIONS:
            return StringShape(literal="0")
        return StringShape(dynamic=[node])
    if kind == "identifier":
        return _name_shape(ctx, node, depth)
    return StringShape(dynamic=[node])


def concatenation_operands(
    ctx: FileContext, node: Node, kind: str = "binary_expression"
) -> list[Node]:
    """The operands of a `a + b + c` chain, left to right, without recursion (a chain of
    literal pieces is one level of indirection, however long)."""
    operands: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind and ctx.text(current.child_by_field_name("operator")) == "+":
            stack.extend(
                child
                for child in (
                    current.child_by_field_name("right"),
                    current.child_by_field_name("left"),
                )
                if child is not None
            )
        else:
            operands.append(current)
    return operands


def _fstring_shape(ctx: FileContext, node: Node, depth: int) -> StringShape:
    shape = StringShape()
    strings = node.named_children if node.type == "concatenated_string" else [node]
    for string in strings:
        for child in string.named_children:
            if child.type == "string_content":
                shape.literal += ctx.text(child)
            elif child.type == "interpolation":
                shape.built = True
                expression = child.child_by_field_name("expression")
                if expression is not None and not is_safe_value(ctx, expression, depth + 1):
                    shape.dynamic.append(expression)
    return shape


def _name_shape(ctx: FileContext, node: Node, depth: int) -> StringShape:
    name = ctx.text(node)
    bindings = bindings_before(ctx, name, node)
    plain = [i for i, b in enumerate(bindings) if not b.augmented]
    if not plain:
        if _CONSTANT_NAME.match(name) and not bindings:
            return StringShape(literal="")  # an imported or module-level constant
        return StringShape(dynamic=[node])
    start = plain[-1]
    first = bindings[start]
    if first.value is None:
        return StringShape(dynamic=[node])
    shape = string_shape(ctx, first.value, depth + 1)
    for later in bindings[start + 1 :]:  # query += " AND ..." after the assignment
        shape = shape.merge(string_shape(ctx, later.value, depth + 1))
        shape.built = True
    return shape


def is_safe_value(ctx: FileContext, node: Node, depth: int = 0) -> bool:
    """True when splicing `node` into a string cannot inject text an attacker controls:
    literals, numbers, int()/len() conversions, constants, placeholder lists like
    `", ".join("?" * len(ids))`.
    """
    if depth > _MAX_DEPTH:
        return False
    kind = node.type
    if kind in ("integer", "float", "true", "false", "none"):
        return True
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return is_safe_value(ctx, node.named_children[0], depth + 1)
    if kind in ("string", "concatenated_string"):
        return string_shape(ctx, node, depth + 1).is_literal
    if kind == "call":
        function = node.child_by_field_name("function")
        if ctx.text(function) in _SAFE_CONVERSIONS:
            return True
        if IDENTIFIER_QUOTERS.match(ctx.text(function).rsplit(".", 1)[-1]):
            return True
        if _IDENTIFIER_PREPARER.search(ctx.text(function)):
            return True
        if function is not None and function.type == "attribute":
            method = ctx.text(function.child_by_field_name("attribute"))
            receiver = function.child_by_field_name("object")
            if method == "join" and receiver is not None and receiver.type == "string":
                joined = positional(node, 0)
                arguments = node.child_by_field_name("arguments")
                if arguments is not None and arguments.type == "generator_expression":
                    joined = arguments  # `", ".join(x for x in xs)`: no argument list
                if joined is not None and joined.type in (
                    "generator_expression",
                    "list_comprehension",
                ):
                    body = joined.child_by_field_name("body")  # ", ".join(qn(c) for c in cols)
                    return body is not None and is_safe_value(ctx, body, depth + 1)
                return joined is not None and _placeholder_sequence(ctx, joined, depth + 1)
        return False
    if kind == "binary_operator":
        operator = ctx.text(node.child_by_field_name("operator"))
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator == "*" and left is not None and right is not None:  # "?, " * n
            return any(_placeholder_sequence(ctx, side, depth + 1) for side in (left, right))
        if operator == "+" and left is not None and right is not None:
            return is_safe_value(ctx, left, depth + 1) and is_safe_value(ctx, right, depth + 1)
        return False
    if kind == "dictionary":  # a table of constants
        values = [p.child_by_field_name("value") for p in node.named_children if p.type == "pair"]
        return all(v is not None and is_safe_value(ctx, v, depth + 1) for v in values)
    if kind == "subscript":  # an entry of a constant table: `self._operators["contains"]`
        container = node.child_by_field_name("value")
        return container is not None and is_safe_value(ctx, container, depth + 1)
    if kind == "attribute":
        # A constant of the code itself: `Model.TABLE`, `self.table` set to a literal in
        # the class body.
        attribute = ctx.text(node.child_by_field_name("attribute"))
        if _CONSTANT_NAME.match(attribute):
            return True
        holder = ctx.text(node.child_by_field_name("object"))
        return holder in ("self", "cls") and _class_constant(ctx, node, attribute, depth)
    if kind == "identifier":
        name = ctx.text(node)
        bindings = [b for b in bindings_before(ctx, name, node)]
        if not bindings:
            return bool(_CONSTANT_NAME.match(name))
        return all(_safe_binding(ctx, b, depth) for b in bindings)
    return False


def _safe_binding(ctx: FileContext, binding: Binding, depth: int) -> bool:
    """A value assigned from a safe value, or a loop variable over a literal sequence
    (`for editor in "vim", "nano":`)."""
    if binding.value is not None:
        return is_safe_value(ctx, binding.value, depth + 1)
    node = binding.node
    if node.type != "for_statement" or node.child_by_field_name("left") is None:
        return False
    if node.child_by_field_name("left").type != "identifier":
        return False
    sequence = node.child_by_field_name("right")
    if sequence is not None and sequence.type == "expression_list":
        items = sequence.named_children  # `for x in "a", "b":`
    elif sequence is not None and sequence.type in ("tuple", "list", "set"):
        items = sequence.named_children
    else:
        return False
    return bool(items) and all(is_safe_value(ctx, item, depth + 1) for item in items)


def _class_constant(ctx: FileContext, node: Node, attribute: str, depth: int) -> bool:
    """Is `attribute` assigned a safe value directly in the body of the class around
    `node`, and never assigned through `self.` in that class?"""
    owner = node.parent
    while owner is not None and owner.type != "class_definition":
        owner = owner.parent
    body = owner.child_by_field_name("body") if owner is not None else None
    if (
        body is None
        or f"self.{attribute} =".encode() in ctx.source[body.start_byte : body.end_byte]
    ):
        return False
    values = [
        statement.named_children[0].child_by_field_name("right")
        for statement in body.named_children
        if statement.type == "expression_statement"
        and statement.named_child_count
        and statement.named_children[0].type == "assignment"
        and ctx.text(statement.named_children[0].child_by_field_name("left")) == attribute
    ]
    return bool(values) and all(
        value is not None and is_safe_value(ctx, value, depth + 1) for value in values
    )


def _placeholder_sequence(ctx: FileContext, node: Node, depth: int) -> bool:
    """`["?"] * n`, `"?" for _ in ids`, `("%s",) * len(x)`: only placeholders."""
    if depth > _MAX_DEPTH:
        return False
    node = resolve(ctx, node)
    kind = node.type
    if kind in ("string", "concatenated_string"):
        value = string_value(node)
        return value is not None and bool(_PLACEHOLDER_TEXT.match(value))
    if kind in ("list", "tuple"):
        return all(_placeholder_sequence(ctx, c, depth + 1) for c in node.named_children)
    if kind in ("generator_expression", "list_comprehension"):
        body = node.child_by_field_name("body")
        return body is not None and _placeholder_sequence(ctx, body, depth + 1)
    if kind == "binary_operator" and ctx.text(node.child_by_field_name("operator")) == "*":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return any(
            side is not None and _placeholder_sequence(ctx, side, depth + 1)
            for side in (left, right)
        )
    return False


def dynamic_text(ctx: FileContext, node: Node | None) -> bool:
    """True when `node` is not a plain literal (a variable, a call, a built string)."""
    return node is not None and not string_shape(ctx, node).is_literal
