"""JavaScript and TypeScript checks (TSX included).

Callees are resolved through `require` and `import` aliases (`const {exec} =
require("child_process")`, `import * as cp from "node:child_process"`), and values
through earlier `const`/`let`/`var` declarations in the same function, so a command or
query built on one line and run on the next is still seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node, QueryCursor

from lantern.analysis.context import FileContext, compiled_query, string_value
from lantern.analysis.fixes import replace_node
from lantern.analysis.pyflow import IDENTIFIER_QUOTERS, StringShape, concatenation_operands
from lantern.analysis.rules import declarations as c
from lantern.analysis.rules.model import JAVASCRIPT, Edit, Fix, Hit, file_fact
from lantern.analysis.rules.python import NAN_TESTS, unreachable_after
from lantern.analysis.rules.secrets import speaks_of_secrets

_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "function", "arrow_function",
     "method_definition", "generator_function_declaration", "generator_function"}
)  # fmt: skip
_MAX_DEPTH = 6
_SQL_TEXT = re.compile(
    r"(?is)\b(select\b.+\bfrom|insert\s+into|update\b.+\bset\b|delete\s+from|"
    r"create\s+table|drop\s+table|alter\s+table|where\b|order\s+by|values\s*\()"
)


def _describe(ctx: FileContext, node: Node) -> str:
    text = ctx.text(node).split("\n")[0]
    return text if len(text) <= 40 else text[:39] + "…"


# -- names --------------------------------------------------------------------------------


def modules(ctx: FileContext) -> dict[str, str]:
    """Local name -> `module` or `module.member`, from require() and import."""
    return ctx.memo("js.modules", lambda: _collect_modules(ctx))


def _collect_modules(ctx: FileContext) -> dict[str, str]:
    names: dict[str, str] = {}
    query = compiled_query(
        ctx.language,
        """
        (import_statement source: (string) @source) @import
        (variable_declarator
            name: (_) @name
            value: (call_expression function: (identifier) @require
                                    arguments: (arguments . (string) @source))
            (#eq? @require "require"))
        """,
    )
    for _, captures in QueryCursor(query).matches(ctx.tree.root_node):
        module = (string_value(captures["source"][0]) or "").removeprefix("node:")
        if "import" in captures:
            clause = next(
                (n for n in captures["import"][0].named_children if n.type == "import_clause"), None
            )
            for part in clause.named_children if clause is not None else []:
                if part.type == "identifier":
                    names[ctx.text(part)] = module
                elif part.type == "namespace_import":
                    names[ctx.text(part.named_children[-1])] = module
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        imported = ctx.text(spec.child_by_field_name("name"))
                        alias = spec.child_by_field_name("alias")
                        names[ctx.text(alias) if alias else imported] = f"{module}.{imported}"
        else:
            pattern = captures["name"][0]
            if pattern.type == "identifier":
                names[ctx.text(pattern)] = module
            elif pattern.type == "object_pattern":
                for prop in pattern.named_children:
                    if prop.type == "shorthand_property_identifier_pattern":
                        names[ctx.text(prop)] = f"{module}.{ctx.text(prop)}"
                    elif prop.type == "pair_pattern":
                        key = ctx.text(prop.child_by_field_name("key"))
                        value = prop.child_by_field_name("value")
                        names[ctx.text(value)] = f"{module}.{key}"
    return names


def qualified(ctx: FileContext, node: Node | None, depth: int = 0) -> str:
    """`child_process.exec` for `exec` after `const {exec} = require("child_process")`,
    for `cp.exec`, `require("child_process").exec`, and through `util.promisify(exec)`."""
    if node is None or depth > _MAX_DEPTH:
        return ""
    if node.type == "identifier":
        name = ctx.text(node)
        if name in modules(ctx):
            return modules(ctx)[name]
        value = resolve(ctx, node)
        if value.type == "call_expression":
            function = ctx.text(value.child_by_field_name("function"))
            args = _arguments(value)
            if function.endswith("promisify") and args:
                return qualified(ctx, args[0], depth + 1)
        elif value is not node and value.type in ("identifier", "member_expression"):
            return qualified(ctx, value, depth + 1)
        return name
    if node.type == "member_expression":
        base = qualified(ctx, node.child_by_field_name("object"), depth + 1)
        return f"{base}.{ctx.text(node.child_by_field_name('property'))}"
    if (
        node.type == "call_expression"
        and ctx.text(node.child_by_field_name("function")) == "require"
    ):
        args = _arguments(node)
        return (string_value(args[0]) or "").removeprefix("node:") if args else ""
    return ctx.text(node)


def _callee_may_end_with(ctx: FileContext, function: Node, words: tuple[str, ...]) -> bool:
    """Can `qualified(ctx, function)` end with one of `words`? A cheap test that lets a
    check skip the resolution for most calls: a member expression's name ends with its
    property, and an identifier is its own name unless an import or an assignment in
    the file gives it another."""
    if function.type == "member_expression":
        return ctx.text(function.child_by_field_name("property")).endswith(words)
    name = ctx.text(function)
    return name.endswith(words) or name in modules(ctx) or name in _bound_anywhere(ctx)


def _bound_anywhere(ctx: FileContext) -> frozenset[str]:
    return ctx.memo(
        "js.bound", lambda: frozenset(n for scope in _all_bindings(ctx).values() for n in scope)
    )


def _scope(ctx: FileContext, node: Node) -> Node:
    return ctx.enclosing(node, _FUNCTIONS) or ctx.tree.root_node


def _bindings(ctx: FileContext, scope: Node) -> dict[str, list[tuple[Node, Node, bool]]]:
    """name -> [(binding node, value, augmented)] made directly in `scope`."""
    return _all_bindings(ctx).get(scope.id, {})


def _all_bindings(ctx: FileContext) -> dict[int, dict[str, list[tuple[Node, Node, bool]]]]:
    """scope id -> its bindings, from one pass over the file (a pass per scope would be
    quadratic in the nesting depth)."""

    def collect() -> dict[int, dict[str, list[tuple[Node, Node, bool]]]]:
        query = compiled_query(
            ctx.language,
            """
            (variable_declarator name: (identifier) @name value: (_) @value) @bind
            (assignment_expression left: (identifier) @name right: (_) @value) @bind
            (augmented_assignment_expression left: (identifier) @name right: (_) @value) @augment
            """,
        )
        scopes: dict[int, dict[str, list[tuple[Node, Node, bool]]]] = {}
        for _, captures in QueryCursor(query).matches(ctx.tree.root_node):
            node = (captures.get("bind") or captures["augment"])[0]
            found = scopes.setdefault(_scope(ctx, node).id, {})
            found.setdefault(ctx.text(captures["name"][0]), []).append(
                (node, captures["value"][0], "augment" in captures)
            )
        for found in scopes.values():
            for bindings in found.values():
                bindings.sort(key=lambda binding: binding[0].start_byte)
        return scopes

    return ctx.memo("js.bindings", collect)


def _earlier(ctx: FileContext, identifier: Node) -> list[tuple[Node, Node, bool]]:
    name = ctx.text(identifier)
    scope = _scope(ctx, identifier)
    while True:
        found = [
            b
            for b in _bindings(ctx, scope).get(name, [])
            if b[0].start_byte < identifier.start_byte
        ]
        if found or scope == ctx.tree.root_node:
            return found
        scope = _scope(ctx, scope)


def resolve(ctx: FileContext, node: Node, depth: int = 0) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type != "identifier" or depth > _MAX_DEPTH:
        return node
    plain = [b for b in _earlier(ctx, node) if not b[2]]
    return resolve(ctx, plain[-1][1], depth + 1) if plain else node


def shape(ctx: FileContext, node: Node | None, depth: int = 0) -> StringShape:
    if node is None:
        return StringShape()
    if depth > _MAX_DEPTH:
        return StringShape(dynamic=[node])
    kind = node.type
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return shape(ctx, node.named_children[0], depth + 1)
    if kind == "string":
        return StringShape(literal=string_value(node) or "")
    if kind in ("number", "true", "false", "null", "undefined"):
        return StringShape(literal=ctx.text(node))
    if kind == "template_string":
        result = StringShape()
        for child in node.named_children:
            if child.type == "string_fragment":
                result.literal += ctx.text(child)
            elif child.type == "template_substitution":
                result.built = True
                inner = child.named_children[0] if child.named_child_count else None
                if inner is not None and not _safe(ctx, inner, depth + 1):
                    result.dynamic.append(inner)
        return result
    if kind == "binary_expression" and ctx.text(node.child_by_field_name("operator")) == "+":
        merged = StringShape(built=True)
        for operand in concatenation_operands(ctx, node):
            merged = merged.merge(shape(ctx, operand, depth + 1))
        return merged
    if kind == "identifier":
        bindings = _earlier(ctx, node)
        plain = [i for i, b in enumerate(bindings) if not b[2]]
        if not plain:
            if re.fullmatch(r"[A-Z][A-Z0-9_]*", ctx.text(node)) and not bindings:
                return StringShape()
            return StringShape(dynamic=[node])
        result = shape(ctx, bindings[plain[-1]][1], depth + 1)
        for later in bindings[plain[-1] + 1 :]:
            result = result.merge(shape(ctx, later[1], depth + 1))
            result.built = True
        return result
    if kind == "ternary_expression":  # literal either way: `(flag ? "a" : "b")`
        branches = [node.child_by_field_name(f) for f in ("consequence", "alternative")]
        shapes = [shape(ctx, branch, depth + 1) for branch in branches]
        if all(branch is not None for branch in branches) and all(s.is_literal for s in shapes):
            return StringShape(literal=shapes[0].literal)
        return StringShape(dynamic=[node])
    if kind in ("call_expression", "member_expression") and _safe(ctx, node, depth + 1):
        return StringShape(literal="0")  # a number, or a quoted identifier
    return StringShape(dynamic=[node])


def _safe(ctx: FileContext, node: Node, depth: int) -> bool:
    kind = node.type
    if kind in ("number", "true", "false", "null"):
        return True
    if kind == "call_expression":
        function = ctx.text(node.child_by_field_name("function"))
        if function in ("parseInt", "parseFloat", "Number", "Math.floor", "Math.round"):
            return True
        if function.endswith(".join") and "?" in ctx.text(node):
            return True
        if IDENTIFIER_QUOTERS.match(function.rsplit(".", 1)[-1]):
            return True  # a quoted identifier, not data
    if kind == "member_expression" and ctx.text(node.child_by_field_name("property")) == "length":
        return True
    if kind in ("string", "template_string", "binary_expression", "identifier"):
        return shape(ctx, node, depth + 1).is_literal
    return False


def dynamic(ctx: FileContext, node: Node | None) -> bool:
    return node is not None and not shape(ctx, node).is_literal


def _arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "arguments":
        return []
    return [a for a in arguments.named_children if a.type != "comment"]


# -- LS101 / LS102 / LS103 ----------------------------------------------------------------

_CALLS = "(call_expression function: [(identifier) (member_expression)] @function) @call"
_TIMERS = frozenset(
    {"setTimeout", "setInterval", "setImmediate", "window.setTimeout", "window.setInterval"}
)
_VM = frozenset(
    {"vm.runInNewContext", "vm.runInThisContext", "vm.runInContext", "vm.compileFunction"}
)


_EVALUATORS = ("eval", *(name.split(".")[-1] for name in (*_VM, *_TIMERS)))


@c.CODE_INJECTION.check(JAVASCRIPT, _CALLS)
def _code_injection(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call = captures["call"][0]
    if not _callee_may_end_with(ctx, captures["function"][0], _EVALUATORS):
        return
    name = qualified(ctx, captures["function"][0])
    args = _arguments(call)
    if not args:
        return
    first = args[0]
    if name in ("eval", "window.eval", "globalThis.eval") or name in _VM:
        if dynamic(ctx, first):
            yield Hit.at(
                call,
                f"`{name}()` runs code built from `{_describe(ctx, first)}`: parse data with "
                "JSON.parse or dispatch through an allow-list.",
            )
    elif name in _TIMERS:
        value = resolve(ctx, first)
        if value.type in ("string", "template_string") or (
            value.type == "binary_expression" and shape(ctx, value).built
        ):
            yield Hit.at(
                first,
                f"`{name}()` given a string evaluates it as code: pass a function instead.",
            )


@c.CODE_INJECTION.check(JAVASCRIPT, "(new_expression constructor: (identifier) @class) @new")
def _new_function(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    if ctx.text(captures["class"][0]) != "Function":
        return
    new = captures["new"][0]
    if any(dynamic(ctx, arg) for arg in _arguments(new)):
        yield Hit.at(
            new,
            "`new Function()` compiles code built from data: avoid it, or use a fixed function.",
        )


_SHELL_CALLS = frozenset({"child_process.exec", "child_process.execSync"})
_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "zsh", "cmd", "cmd.exe", "powershell"})
_SPAWN_CALLS = frozenset(
    {"child_process.spawn", "child_process.spawnSync", "child_process.execFile",
     "child_process.execFileSync"}
)  # fmt: skip


_PROCESS_CALLS = tuple(name.split(".")[-1] for name in (*_SHELL_CALLS, *_SPAWN_CALLS))


@c.COMMAND_INJECTION.check(JAVASCRIPT, _CALLS)
def _command_injection(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call = captures["call"][0]
    if not _callee_may_end_with(ctx, captures["function"][0], _PROCESS_CALLS):
        return
    name = qualified(ctx, captures["function"][0])
    args = _arguments(call)
    if not args:
        return
    if name in _SHELL_CALLS and dynamic(ctx, args[0]):
        yield Hit.at(
            args[0],
            f"`{name.split('.')[-1]}()` runs `{_describe(ctx, args[0])}` through a shell: use "
            "execFile/spawn with an argument array instead.",
        )
    elif name in _SPAWN_CALLS and len(args) >= 2 and string_value(args[0]) in _SHELLS:
        words = resolve(ctx, args[1])  # spawn("sh", ["-c", command])
        items = [n for n in words.named_children if n.type != "comment"]
        flags = [string_value(n) for n in items]
        if words.type == "array" and "-c" in flags:
            index = flags.index("-c") + 1
            if index < len(items) and dynamic(ctx, items[index]):
                yield Hit.at(
                    items[index],
                    f"`{_describe(ctx, items[index])}` is run by a shell (`-c`): pass the "
                    "program and its arguments without a shell.",
                )
    elif name in _SPAWN_CALLS and dynamic(ctx, args[0]):
        options = [resolve(ctx, a) for a in args[1:]]
        if any(
            o.type == "object" and re.search(r"\bshell\s*:\s*true", ctx.text(o)) for o in options
        ):
            yield Hit.at(
                args[0], f"`{name.split('.')[-1]}()` with `shell: true` runs data through a shell."
            )


_SQL_METHODS = frozenset(
    {"query", "execute", "raw", "$queryRawUnsafe", "$executeRawUnsafe", "run", "all", "get",
     "exec", "prepare", "unsafe", "whereRaw", "knex.raw"}
)  # fmt: skip


@c.SQL_INJECTION.check(JAVASCRIPT, _CALLS)
def _sql_injection(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call, function = captures["call"][0], captures["function"][0]
    method = (
        ctx.text(function.child_by_field_name("property"))
        if function.type == "member_expression"
        else ctx.text(function)
    )
    if method not in _SQL_METHODS:
        return
    args = _arguments(call)
    if not args:
        return
    found = shape(ctx, args[0])
    if found.built and found.dynamic and _SQL_TEXT.search(found.literal):
        parts = ", ".join(f"`{_describe(ctx, n)}`" for n in found.dynamic[:3])
        yield Hit.at(
            args[0],
            f"SQL is built from {parts} and executed: use placeholders ($1, ?) and pass the "
            "values as parameters.",
        )


# -- LS107 / LS108 / LS111 ----------------------------------------------------------------


@c.WEAK_HASH.check(JAVASCRIPT, _CALLS)
def _weak_hash(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call = captures["call"][0]
    if not _callee_may_end_with(ctx, captures["function"][0], ("createHash", "createHmac")):
        return
    name = qualified(ctx, captures["function"][0])
    if not name.endswith("createHash") and not name.endswith("createHmac"):
        return
    args = _arguments(call)
    algorithm = string_value(resolve(ctx, args[0])) if args else None
    if algorithm is None or algorithm.lower() not in ("md5", "sha1", "md4"):
        return
    function = _scope(ctx, call)
    around = function if function.type != "program" else None
    if speaks_of_secrets(ctx, call, ("statement_block", "program"), around):
        yield Hit.at(
            call,
            f"{algorithm.upper()} is too weak for passwords or secrets: use scrypt, bcrypt or "
            "argon2.",
        )


@c.TLS_DISABLED.check(
    JAVASCRIPT,
    """
    (pair key: (_) @key value: (false) @value) @pair
    (assignment_expression left: (_) @target right: (_) @value) @assign
    """,
)
def _tls_disabled(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    if "pair" in captures:
        key = ctx.text(captures["key"][0]).strip("'\"")
        if key in ("rejectUnauthorized", "strictSSL"):
            value = captures["value"][0]
            yield Hit.at(
                captures["pair"][0],
                f"`{key}: false` accepts any TLS certificate, so the connection can be "
                "intercepted: configure the right CA (`ca:`) instead.",
                Fix(f"Set {key}: true", (replace_node(value, "true"),), safe=False),
            )
    else:
        target = ctx.text(captures["target"][0])
        if (
            target.endswith("NODE_TLS_REJECT_UNAUTHORIZED")
            and string_value(captures["value"][0]) == "0"
        ):
            yield Hit.at(
                captures["assign"][0],
                "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks for the whole "
                "process.",
            )


_SANITIZERS = re.compile(r"(?i)(sanitize|purify|escape|encode|clean|xss)")
_HTML_PROPERTIES = frozenset({"innerHTML", "outerHTML"})


def _unsafe_html(ctx: FileContext, value: Node) -> bool:
    value_resolved = resolve(ctx, value)
    if value_resolved.type == "call_expression" and _SANITIZERS.search(
        ctx.text(value_resolved.child_by_field_name("function"))
    ):
        return False
    found = shape(ctx, value)
    return bool(found.dynamic) and not all(
        n.type == "call_expression"
        and _SANITIZERS.search(ctx.text(n.child_by_field_name("function")))
        for n in found.dynamic
    )


@c.XSS_SINK.check(
    JAVASCRIPT,
    """
    (assignment_expression left: (member_expression property: (property_identifier) @property)
        right: (_) @value) @sink
    (augmented_assignment_expression left: (member_expression property: (property_identifier)
        @property) right: (_) @value) @sink
    (call_expression function: (member_expression property: (property_identifier) @method)
        arguments: (arguments)) @call
    """,
)
@c.XSS_SINK.check(
    JAVASCRIPT,
    "(jsx_attribute (property_identifier) @attribute (jsx_expression (object (pair key: (_) @key "
    "value: (_) @value)))) @jsx",
)
def _xss(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    if "sink" in captures:
        prop = ctx.text(captures["property"][0])
        if prop in _HTML_PROPERTIES and _unsafe_html(ctx, captures["value"][0]):
            yield Hit.at(
                captures["sink"][0],
                f"`{prop}` is set from `{_describe(ctx, captures['value'][0])}`, which is parsed "
                "as "
                "HTML (script injection): use textContent or sanitise it (DOMPurify).",
            )
    elif "call" in captures:
        method = ctx.text(captures["method"][0])
        call = captures["call"][0]
        args = _arguments(call)
        target = None
        function = call.child_by_field_name("function")
        holder = function.child_by_field_name("object") if function is not None else None
        if method == "insertAdjacentHTML" and len(args) >= 2:
            target = args[1]
        elif method == "html" and len(args) == 1 and ctx.text(holder).startswith(("$(", "jQuery(")):
            target = args[0]  # jQuery's .html(markup)
        elif (
            method in ("write", "writeln")
            and ctx.text(call.child_by_field_name("function")).startswith("document.")
            and args
        ):
            target = args[0]
        if target is not None and _unsafe_html(ctx, target):
            yield Hit.at(
                call,
                f"`{method}()` parses `{_describe(ctx, target)}` as HTML: build DOM nodes or "
                "sanitise it.",
            )
    elif (
        "jsx" in captures
        and ctx.text(captures["attribute"][0]) == "dangerouslySetInnerHTML"
        and ctx.text(captures["key"][0]) == "__html"
        and _unsafe_html(ctx, captures["value"][0])
    ):
        yield Hit.at(
            captures["jsx"][0],
            "dangerouslySetInnerHTML is given data that is not sanitised: sanitise it "
            "(DOMPurify) or render text.",
        )


# -- bugs ---------------------------------------------------------------------------------


@c.UNREACHABLE.check(
    JAVASCRIPT,
    "(statement_block [(return_statement) (throw_statement) (break_statement) "
    "(continue_statement)] @jump . (_) @next)",
)
def _unreachable(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    following = captures["next"][0]
    if following.type in (
        "function_declaration",
        "generator_function_declaration",
        "comment",
        "empty_statement",
    ):
        return  # declarations are hoisted; they are not dead code
    yield from unreachable_after(ctx, captures["jump"][0])


# Binary expressions are matched bare and their operator checked here: a pattern that
# names the operator child keeps a match open per level of a left-nested chain
# (`a + a + ... `), which makes the fused query quadratic in its length.
@c.LOOSE_EQUALITY.check(JAVASCRIPT, "(binary_expression) @comparison")
def _loose_equality(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    comparison = captures["comparison"][0]
    operator = comparison.child_by_field_name("operator")
    if operator is None or operator.type not in ("==", "!="):
        return
    left, right = comparison.child_by_field_name("left"), comparison.child_by_field_name("right")
    if left is None or right is None:
        return
    if any(n.type in ("null", "undefined") or ctx.text(n) == "undefined" for n in (left, right)):
        return
    if any(_is_typeof(ctx, n) for n in (left, right)):
        return  # both sides are strings: `==` and `===` agree
    strict = operator.type + "="
    yield Hit.at(
        comparison,
        f"`{operator.type}` converts types before comparing (`'' == 0` is true): use `{strict}`.",
        Fix(f"Use {strict}", (replace_node(operator, strict),), safe=False),
    )


def _is_typeof(ctx: FileContext, node: Node) -> bool:
    """`typeof x`, directly or through a variable last assigned `typeof x`."""
    value = resolve(ctx, node)
    return value.type == "unary_expression" and ctx.text(value).startswith("typeof")


_IDENTICAL = frozenset({"identifier", "member_expression"})
_COMPARISONS = frozenset({"===", "==", "<", ">", "<=", ">="})


@c.CONSTANT_CONDITION.check(
    JAVASCRIPT,
    """
    (binary_expression) @comparison
    (if_statement condition: (parenthesized_expression (_) @condition))
    (while_statement condition: (parenthesized_expression [(string) (template_string) (object)
        (array)] @condition))
    """,
)
def _constant_condition(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    if "comparison" in captures:
        comparison = captures["comparison"][0]
        operator = comparison.child_by_field_name("operator")
        if operator is None or operator.type not in _COMPARISONS:
            return
        left, right = (
            comparison.child_by_field_name("left"),
            comparison.child_by_field_name("right"),
        )
        if left is None or right is None:
            return
        if (
            left.type in _IDENTICAL
            and right.type in _IDENTICAL
            and ctx.text(left) == ctx.text(right)
            and operator.type not in NAN_TESTS
        ):
            yield Hit.at(
                comparison,
                f"`{ctx.text(comparison)}` compares a value with itself: compare with the "
                "intended variable.",
            )
        elif left.type in ("number", "string") and right.type in ("number", "string"):
            yield Hit.at(
                comparison,
                f"`{_describe(ctx, comparison)}` compares two literals: its result never changes.",
            )
    else:
        condition = captures["condition"][0]
        if condition.type in ("string", "template_string", "object", "array"):
            yield Hit.at(
                condition,
                f"The condition `{_describe(ctx, condition)}` is a constant that is always true: "
                "test a variable instead.",
            )


@c.INFINITE_RECURSION.check(
    JAVASCRIPT,
    """
    (function_declaration name: (identifier) @name body: (statement_block) @body) @function
    (method_definition name: (property_identifier) @name body: (statement_block) @body) @function
    """,
)
def _infinite_recursion(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    function, name, body = (
        captures["function"][0],
        ctx.text(captures["name"][0]),
        captures["body"][0],
    )
    kind = function.children[0].type if function.child_count else ""
    is_method = function.type == "method_definition"
    for statement in body.named_children:
        if statement.type in (
            "if_statement",
            "for_statement",
            "for_in_statement",
            "while_statement",
            "do_statement",
            "switch_statement",
            "try_statement",
        ):
            return
        text = ctx.text(statement)
        if name not in text:  # every pattern below names it (a regex per name costs more)
            hit = False
        elif kind == "get":
            hit = (
                re.search(rf"\bthis\.{re.escape(name)}\b(?!\s*\()", text)
                and statement.type == "return_statement"
            )
        elif kind == "set":
            hit = re.match(rf"this\.{re.escape(name)}\s*=[^=]", text) is not None
        elif is_method:
            hit = re.match(rf"(return\s+)?(await\s+)?this\.{re.escape(name)}\(", text) is not None
        else:
            hit = re.match(rf"(return\s+)?(await\s+)?{re.escape(name)}\(", text) is not None
        if hit and not re.search(r"\?|&&|\|\|", text):
            yield Hit.at(
                statement,
                "This function reaches a call to itself on every path, so it recurses until the "
                "stack overflows: add a base case.",
            )
            return
        if statement.type in ("return_statement", "throw_statement"):
            return


def _async_names(ctx: FileContext) -> set[str]:
    def collect() -> set[str]:
        query = compiled_query(
            ctx.language,
            """
            (function_declaration name: (identifier) @name) @function
            (method_definition name: (property_identifier) @name) @function
            (variable_declarator name: (identifier) @name value: [(arrow_function)
                (function_expression)] @function)
            """,
        )
        async_names, other = set(), set()
        for _, captures in QueryCursor(query).matches(ctx.tree.root_node):
            function = captures["function"][-1]
            is_async = any(child.type == "async" for child in function.children[:2])
            (async_names if is_async else other).add(ctx.text(captures["name"][0]))
        return async_names - other

    return ctx.memo("js.async", collect)


def _promises_api(ctx: FileContext, function: Node) -> bool:
    """`fs/promises` functions (`fsp.writeFile`, `fs.promises.writeFile`), which always
    return a promise. Text and import lookups only: this runs for every call statement."""
    if function.type != "member_expression":
        return False
    holder = function.child_by_field_name("object")
    if holder is None:
        return False
    if holder.type == "identifier":
        return modules(ctx).get(ctx.text(holder)) == "fs/promises"
    if holder.type == "member_expression" and ctx.text(holder).endswith(".promises"):
        base = holder.child_by_field_name("object")
        return base is not None and modules(ctx).get(ctx.text(base)) == "fs"
    return False


@file_fact("javascript")
def _javascript_file_facts(ctx: FileContext) -> tuple[object, ...]:
    return tuple(sorted(modules(ctx).items())), frozenset(_async_names(ctx))


@c.MISSING_AWAIT.check(
    JAVASCRIPT, "(expression_statement (call_expression function: (_) @function) @call)"
)
def _missing_await(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call, function = captures["call"][0], captures["function"][0]
    if function.type == "identifier":
        called = ctx.text(function)
    elif function.type == "member_expression":
        holder = ctx.text(function.child_by_field_name("object"))
        called = ctx.text(function.child_by_field_name("property"))
        if holder != "this" and not _promises_api(ctx, function):
            return
    else:
        return
    promised = called == "fetch" or _promises_api(ctx, function)
    if not promised and (called not in _async_names(ctx) or called in modules(ctx)):
        return
    scope = _scope(ctx, call)  # walks parents: only for the few candidates
    if scope.type == "program" or not any(child.type == "async" for child in scope.children[:2]):
        return
    yield Hit.at(
        call,
        f"`{called}()` returns a promise that is neither awaited nor handled, so its result "
        "and errors are lost: add `await` (or `void` it deliberately).",
        Fix("Add await", (Edit(call.start_byte, call.start_byte, "await "),), safe=False),
    )


@c.REGEX_IN_LOOP.check(
    JAVASCRIPT,
    "(new_expression constructor: (identifier) @class arguments: (arguments . (string))) @new",
)
def _regex_in_loop(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    new = captures["new"][0]
    if ctx.text(captures["class"][0]) == "RegExp" and ctx.inside_loop(new) is not None:
        yield Hit.at(
            new,
            "This constant RegExp is rebuilt on every iteration: create it once before the loop.",
        )
