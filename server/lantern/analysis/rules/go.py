"""Go checks.

Package names are resolved through import aliases (`ex "os/exec"` is still `exec`);
strings through `:=`/`=`/`var` assignments earlier in the function, including those
built with `fmt.Sprintf` or `+`. Errors are known to be returned by the functions
declared in the file whose last result is `error`, and by a list of standard calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node, QueryCursor

from lantern.analysis import goflow
from lantern.analysis.context import FileContext, compiled_query, string_value
from lantern.analysis.fixes import replace_node
from lantern.analysis.pyflow import IDENTIFIER_QUOTERS, StringShape, concatenation_operands
from lantern.analysis.rules import declarations as c
from lantern.analysis.rules.model import GO, Fix, Hit, file_fact
from lantern.analysis.rules.python import NAN_TESTS, unreachable_after
from lantern.analysis.rules.secrets import speaks_of_secrets

_MAX_DEPTH = 6
_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_SQL_TEXT = re.compile(
    r"(?is)\b(select\b.+\bfrom|insert\s+into|update\b.+\bset\b|delete\s+from|"
    r"create\s+table|drop\s+table|alter\s+table|where\b|order\s+by|values\s*\()"
)
_STANDARD_PACKAGES = frozenset(
    {"os", "strconv", "json", "io", "ioutil", "http", "url", "time", "sql", "filepath", "exec",
     "net", "template", "xml", "fmt", "md5", "sha1", "regexp", "tls"}
)  # fmt: skip
_CALLS = "(call_expression function: (_) @function arguments: (argument_list) @arguments) @call"


def _describe(ctx: FileContext, node: Node) -> str:
    text = ctx.text(node).split("\n")[0]
    return text if len(text) <= 40 else text[:39] + "…"


def packages(ctx: FileContext) -> dict[str, str]:
    """Local package name -> import path."""
    return goflow.packages(ctx)


def callee(ctx: FileContext, function: Node) -> str:
    """`exec.Command` for `ex.Command` after `import ex "os/exec"`; `.Method` for methods."""
    if function.type == "selector_expression":
        operand = function.child_by_field_name("operand")
        field = ctx.text(function.child_by_field_name("field"))
        if operand is not None and operand.type == "identifier":
            path = packages(ctx).get(ctx.text(operand))
            if path is None and ctx.text(operand) in _STANDARD_PACKAGES:
                path = ctx.text(operand)  # a snippet that does not show its imports
            if path is not None:
                return f"{path.rsplit('/', 1)[-1]}.{field}"
        return f".{field}"
    return ctx.text(function)


def _arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type != "comment"] if arguments else []


def _scope(ctx: FileContext, node: Node) -> Node:
    return ctx.enclosing(node, _FUNCTIONS) or ctx.tree.root_node


def _assignments(ctx: FileContext, scope: Node) -> dict[str, list[tuple[Node, Node, bool]]]:
    def collect() -> dict[str, list[tuple[Node, Node, bool]]]:
        query = compiled_query(
            ctx.language,
            """
            (short_var_declaration left: (expression_list . (identifier) @name .)
                right: (expression_list . (_) @value .)) @bind
            (assignment_statement left: (expression_list . (identifier) @name .)
                operator: _ @operator right: (expression_list . (_) @value .)) @bind
            (var_spec name: (identifier) @name value: (expression_list . (_) @value .)) @bind
            """,
        )
        cursor = QueryCursor(query)
        cursor.set_byte_range(scope.start_byte, scope.end_byte)
        found: dict[str, list[tuple[Node, Node, bool]]] = {}
        for _, captures in cursor.matches(scope):
            node = captures["bind"][0]
            operator = captures.get("operator")
            augmented = operator is not None and ctx.text(operator[0]) == "+="
            found.setdefault(ctx.text(captures["name"][0]), []).append(
                (node, captures["value"][0], augmented)
            )
        for bindings in found.values():
            bindings.sort(key=lambda binding: binding[0].start_byte)
        return found

    return ctx.memo(("go.assignments", scope.id), collect)


def shape(ctx: FileContext, node: Node | None, depth: int = 0) -> StringShape:
    if node is None:
        return StringShape()
    if depth > _MAX_DEPTH:
        return StringShape(dynamic=[node])
    kind = node.type
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return StringShape(literal=string_value(node) or "")
    if kind in ("int_literal", "float_literal", "true", "false", "nil"):
        return StringShape(literal=ctx.text(node))
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return shape(ctx, node.named_children[0], depth + 1)
    if kind == "binary_expression" and ctx.text(node.child_by_field_name("operator")) == "+":
        merged = StringShape(built=True)
        for operand in concatenation_operands(ctx, node):
            merged = merged.merge(shape(ctx, operand, depth + 1))
        return merged
    if kind == "call_expression":
        name = callee(ctx, node.child_by_field_name("function"))
        args = _arguments(node)
        if name == "fmt.Sprintf" and args:
            result = shape(ctx, args[0], depth + 1)
            verbs = numeric_verbs(result.literal)
            for position, arg in enumerate(args[1:]):
                numeric = position < len(verbs) and verbs[position]
                if not numeric and not _safe(ctx, arg, depth + 1):
                    result.dynamic.append(arg)
            result.built = True
            return result
        if name in ("strconv.Itoa", "strconv.FormatInt", "len"):
            return StringShape(literal="0")
        return StringShape(dynamic=[node])
    if kind == "identifier":
        scope = _scope(ctx, node)
        bindings = [
            b
            for b in _assignments(ctx, scope).get(ctx.text(node), [])
            if b[0].start_byte < node.start_byte
        ]
        plain = [i for i, b in enumerate(bindings) if not b[2]]
        if not plain:
            return StringShape(dynamic=[node])
        result = shape(ctx, bindings[plain[-1]][1], depth + 1)
        for later in bindings[plain[-1] + 1 :]:
            result = result.merge(shape(ctx, later[1], depth + 1))
            result.built = True
        return result
    return StringShape(dynamic=[node])


_VERB = re.compile(r"%[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?([a-zA-Z%])")


def numeric_verbs(format_string: str) -> list[bool]:
    """For each argument a printf format consumes: is it printed as a number (%d, %f...)?"""
    return [verb in "dfFgGeEbcoOxXU" for verb in _VERB.findall(format_string) if verb != "%"]


def _safe(ctx: FileContext, node: Node, depth: int) -> bool:
    if node.type in ("int_literal", "float_literal", "true", "false"):
        return True
    if node.type == "call_expression":
        name = callee(ctx, node.child_by_field_name("function"))
        # Numbers, and quoted identifiers (`pq.QuoteIdentifier(table)`), are not data.
        return name in ("strconv.Itoa", "len") or bool(
            IDENTIFIER_QUOTERS.match(name.rsplit(".", 1)[-1])
        )
    if node.type in (
        "interpreted_string_literal",
        "raw_string_literal",
        "identifier",
        "binary_expression",
    ):
        return shape(ctx, node, depth + 1).is_literal
    return False


def dynamic(ctx: FileContext, node: Node | None) -> bool:
    return node is not None and not shape(ctx, node).is_literal


# -- security -----------------------------------------------------------------------------

_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "zsh", "cmd", "cmd.exe", "powershell"})


@c.COMMAND_INJECTION.check(GO, _CALLS)
def _command_injection(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    name = callee(ctx, captures["function"][0])
    if name not in ("exec.Command", "exec.CommandContext"):
        return
    args = _arguments(captures["call"][0])
    if name == "exec.CommandContext":
        args = args[1:]
    words = [string_value(a) for a in args]
    shell_command = len(args) >= 3 and words[0] in _SHELLS
    if shell_command and words[1] in ("-c", "/c", "/C", "-Command") and dynamic(ctx, args[2]):
        yield Hit.at(
            args[2],
            f"`{_describe(ctx, args[2])}` is run by a shell (`{words[0]} {words[1]}`): run the "
            "program directly with exec.Command(prog, args...).",
        )


_SQL_CALLS = {
    ".Query": 0, ".QueryRow": 0, ".Exec": 0, ".Prepare": 0, ".Select": 1, ".Get": 1,
    ".Raw": 0, ".QueryContext": 1, ".QueryRowContext": 1, ".ExecContext": 1,
    ".PrepareContext": 1, ".Queryx": 0, ".QueryRowx": 0, ".MustExec": 0,
}  # fmt: skip


@c.SQL_INJECTION.check(GO, _CALLS)
def _sql_injection(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    name = callee(ctx, captures["function"][0])
    index = _SQL_CALLS.get(name)
    args = _arguments(captures["call"][0])
    if index is None or len(args) <= index:
        return
    query = args[index]
    found = shape(ctx, query)
    if found.built and found.dynamic and _SQL_TEXT.search(found.literal):
        parts = ", ".join(f"`{_describe(ctx, n)}`" for n in found.dynamic[:3])
        yield Hit.at(
            query,
            f"SQL is built from {parts} and executed: use placeholders ($1, ?) and pass the "
            "values as arguments.",
        )


@c.WEAK_HASH.check(GO, _CALLS)
def _weak_hash(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    name = callee(ctx, captures["function"][0])
    if name not in ("md5.New", "md5.Sum", "sha1.New", "sha1.Sum"):
        return
    call = captures["call"][0]
    function = _scope(ctx, call)
    around = function if function.type != "source_file" else None
    if speaks_of_secrets(ctx, call, ("statement_list", "block", "source_file"), around):
        label = "MD5" if name.startswith("md5") else "SHA-1"
        yield Hit.at(
            call, f"{label} is too weak for passwords or secrets: use bcrypt, scrypt or argon2."
        )


@c.TLS_DISABLED.check(
    GO,
    """
    (keyed_element key: (literal_element (identifier) @key) value: (literal_element (true)
        @value)) @element
    (assignment_statement left: (expression_list (selector_expression field: (field_identifier)
        @key)) right: (expression_list (true) @value)) @element
    """,
)
def _tls_disabled(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    # Tests talk to their own servers, whose certificates are self-signed on purpose.
    if ctx.text(captures["key"][0]) == "InsecureSkipVerify" and not _is_test_code(ctx):
        yield Hit.at(
            captures["element"][0],
            "InsecureSkipVerify: true accepts any certificate, so the connection can be "
            "intercepted: add the right CA to RootCAs instead.",
            Fix(
                "Set InsecureSkipVerify: false",
                (replace_node(captures["value"][0], "false"),),
                safe=False,
            ),
        )


# -- bugs ---------------------------------------------------------------------------------


@c.UNREACHABLE.check(
    GO,
    "(statement_list [(return_statement) (break_statement) (continue_statement) "
    "(goto_statement)] @jump . (_) @next)",
)
def _unreachable(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    if captures["next"][0].type in ("labeled_statement", "comment", "empty_statement"):
        return
    yield from unreachable_after(ctx, captures["jump"][0])


# Matched bare, the operator checked here: naming the operator child in the pattern keeps a
# match open per level of a left-nested chain, quadratic in its length.
@c.CONSTANT_CONDITION.check(GO, "(binary_expression) @comparison")
def _constant_condition(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    comparison = captures["comparison"][0]
    operator = comparison.child_by_field_name("operator")
    if operator is None or operator.type not in ("==", "<", ">", "<=", ">="):
        return
    left, right = comparison.child_by_field_name("left"), comparison.child_by_field_name("right")
    if left is None or right is None:
        return
    pure = ("identifier", "selector_expression")
    operator = comparison.child_by_field_name("operator")
    # `x == x` (also `<=`, `>=`) is false only for a NaN float: a NaN test, not a typo.
    nan_test = operator is not None and operator.type in NAN_TESTS
    if (
        left.type in pure
        and right.type in pure
        and ctx.text(left) == ctx.text(right)
        and not nan_test
    ):
        yield Hit.at(
            comparison,
            f"`{ctx.text(comparison)}` compares a value with itself: compare with the intended "
            "variable.",
        )


@c.INFINITE_RECURSION.check(
    GO, "(function_declaration name: (identifier) @name body: (block) @body) @function"
)
def _infinite_recursion(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    name, body = ctx.text(captures["name"][0]), captures["body"][0]
    statements = (
        body.named_children[0].named_children
        if body.named_child_count and body.named_children[0].type == "statement_list"
        else []
    )
    for statement in statements:
        if statement.type in (
            "if_statement",
            "for_statement",
            "expression_switch_statement",
            "type_switch_statement",
            "select_statement",
        ):
            return
        text = ctx.text(statement)
        if (
            f"{name}(" in text  # first: a regex per function name costs more than it saves
            and re.match(rf"(return\s+)?{re.escape(name)}\(", text)
            and not re.search(r"&&|\|\|", text)
        ):
            yield Hit.at(
                statement,
                "This function calls itself on every path, so it recurses until the stack "
                "overflows: add a base case.",
            )
            return
        if statement.type == "return_statement":
            return


@file_fact("go")
def _go_file_facts(ctx: FileContext) -> tuple[object, ...]:
    return tuple(sorted(packages(ctx).items())), goflow.declarations(ctx).key()


def _returns_error(ctx: FileContext, call: Node) -> bool:
    """Only calls resolved to a declaration that returns an error (see `goflow`)."""
    return goflow.call_returns_error(ctx, call) is True


# Calls whose error is conventionally not checked (golangci-lint's default errcheck
# exclusions): closing and flushing, removing files, environment changes, writes to the
# standard streams. Checking them rarely changes what a program can do.
_CONVENTIONALLY_UNCHECKED = re.compile(
    r"(^|\.)(Close|Flush)$|^os\.(Remove|RemoveAll|Setenv|Unsetenv)$|^os\.(Stdout|Stderr)\."
)
_DISCARD = re.compile(r"^(io|ioutil)\.Discard$")


@c.IGNORED_ERROR.check(GO, "(expression_statement (call_expression) @call) @statement")
def _ignored_error(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call = captures["call"][0]
    if _is_test_code(ctx) or not _returns_error(ctx, call):
        return
    function = call.child_by_field_name("function")
    name = callee(ctx, function)
    if _CONVENTIONALLY_UNCHECKED.search(name if not name.startswith(".") else ctx.text(function)):
        return
    arguments = _arguments(call)
    if name in ("io.Copy", "io.CopyN") and arguments and _DISCARD.match(ctx.text(arguments[0])):
        return  # draining a reader: the point is to consume it, whatever happens
    yield Hit.at(
        call,
        f"The error returned by `{_describe(ctx, function)}` is ignored: check it or return it.",
    )


def _is_test_code(ctx: FileContext) -> bool:
    """A test file (`package x_test`, or importing "testing"): tests fail loudly anyway,
    and their handlers and fixtures ignore errors on purpose."""

    def decide() -> bool:
        clause = next(
            (n for n in ctx.tree.root_node.named_children if n.type == "package_clause"), None
        )
        if clause is not None and ctx.text(clause).endswith("_test"):
            return True
        return "testing" in packages(ctx).values()

    return ctx.memo("go.test-code", decide)


_OPENERS = frozenset({"os.Open", "os.Create", "os.OpenFile", "net.Dial", "net.Listen"})


@c.UNCLOSED_RESOURCE.check(
    GO,
    "(short_var_declaration left: (expression_list . (identifier) @name) right: (expression_list "
    ". (call_expression) @call .)) @statement",
)
def _unclosed(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call = captures["call"][0]
    if callee(ctx, call.child_by_field_name("function")) not in _OPENERS:
        return
    name = re.escape(ctx.text(captures["name"][0]))
    scope = ctx.text(_scope(ctx, call))
    if re.search(
        rf"\b{name}\.Close\(|\breturn\b[^\n]*\b{name}\b|[:=]\s*&?\w*\{{?[^\n]*\b{name}\b"
        rf"|\bServe(TLS)?\(\s*{name}\b",  # a server owns (and closes) its listener
        scope.split(ctx.text(captures["statement"][0]), 1)[-1],
    ):
        return
    yield Hit.at(
        call,
        f"`{ctx.text(captures['name'][0])}` is never closed: add `defer "
        f"{ctx.text(captures['name'][0])}.Close()` after the error check.",
    )


@c.STRING_CONCAT_LOOP.check(
    GO,
    '(assignment_statement left: (expression_list . (identifier) @name .) operator: "+=") @augment',
)
def _string_concat(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    augment = captures["augment"][0]
    loop = ctx.inside_loop(augment)
    if loop is None:
        return
    name = ctx.text(captures["name"][0])
    earlier = ctx.source[loop.start_byte : augment.start_byte].decode("utf-8", "replace")
    if re.search(rf"\b{re.escape(name)}\s*\+=", earlier):
        return  # one finding per accumulator and loop, at its first `+=`
    scope = _scope(ctx, augment)
    bindings = [b for b in _assignments(ctx, scope).get(name, []) if not b[2]]
    declared_string = re.search(rf"\bvar\s+{re.escape(name)}\s+string\b", ctx.text(scope))
    first = bindings[0][1] if bindings else None
    if declared_string or (
        first is not None and first.type in ("interpreted_string_literal", "raw_string_literal")
    ):
        yield Hit.at(
            augment,
            f"`{name}` grows by `+=` in a loop, copying the string each time: use strings.Builder.",
        )


@c.REGEX_IN_LOOP.check(GO, _CALLS)
def _regex_in_loop(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    name = callee(ctx, captures["function"][0])
    if name not in ("regexp.MustCompile", "regexp.Compile"):
        return
    call = captures["call"][0]
    args = _arguments(call)
    if args and string_value(args[0]) is not None and ctx.inside_loop(call) is not None:
        yield Hit.at(
            call,
            f"`{name}` compiles a constant pattern on every iteration: compile it once, outside "
            "the loop.",
        )
