"""Go facts shared by rules: what a call resolves to, and whether it can return an error.

A callee is resolved to its declaration, never matched by name alone: a parameter or
variable of function type, a function or a method of a type declared in this file (the
receiver's type is taken from parameters, `var` declarations, composite literals and a
few well-known constructors), or an entry of a small table of standard-library
signatures. What cannot be resolved is unknown, and rules stay quiet about it. The
analysis is one file at a time and flow-insensitive. Nothing here raises on odd trees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from lantern.analysis.context import FileContext, compiled_query, string_value

# Standard-library functions whose last result is an error.
ERROR_FUNCTIONS = frozenset(
    {"os.Remove", "os.RemoveAll", "os.Mkdir", "os.MkdirAll", "os.WriteFile", "os.Setenv",
     "os.Unsetenv", "os.Chdir", "os.Chmod", "os.Chown", "os.Chtimes", "os.Rename",
     "os.Symlink", "os.Link", "os.Truncate", "ioutil.WriteFile", "json.Unmarshal",
     "xml.Unmarshal", "yaml.Unmarshal", "http.ListenAndServe", "http.ListenAndServeTLS",
     "io.Copy", "io.CopyN", "io.CopyBuffer", "io.ReadFull", "io.WriteString",
     "strconv.Atoi", "strconv.ParseInt", "strconv.ParseFloat", "strconv.ParseBool",
     "strconv.ParseUint", "json.Marshal", "os.Open", "os.Create", "os.OpenFile",
     "os.ReadFile", "ioutil.ReadFile", "ioutil.ReadAll", "io.ReadAll", "url.Parse",
     "time.Parse", "sql.Open", "http.Get", "http.Post", "http.NewRequest",
     "template.ParseFiles", "filepath.Abs", "exec.LookPath", "net.Dial", "net.Listen",
     "binary.Write", "binary.Read"}
)  # fmt: skip

# Methods of standard-library types: does the method return an error? Writers that are
# documented never to fail (`bytes.Buffer`, `strings.Builder`, every `hash.Hash`) and
# methods that return nothing (`sync.WaitGroup.Wait`, `base64.Encoding.Encode`) say no.
STANDARD_METHODS: dict[str, dict[str, bool]] = {
    "bytes.Buffer": {
        "Write": False, "WriteString": False, "WriteByte": False, "WriteRune": False,
        "ReadFrom": False, "WriteTo": True,
    },
    "strings.Builder": {"Write": False, "WriteString": False, "WriteByte": False,
                        "WriteRune": False},
    "hash.Hash": {"Write": False, "WriteString": False},
    "sync.WaitGroup": {"Wait": False, "Add": False, "Done": False},
    "sync.Mutex": {"Lock": False, "Unlock": False},
    "base64.Encoding": {"Encode": False},
    "hex.Encoding": {"Encode": False},
    "os.File": {"Close": True, "Write": True, "WriteString": True, "Sync": True,
                "Chmod": True, "Truncate": True, "Seek": True},
    "sql.DB": {"Close": True, "Exec": True, "ExecContext": True, "Ping": True},
    "sql.Tx": {"Commit": True, "Rollback": True, "Exec": True, "ExecContext": True},
    "sql.Rows": {"Close": True, "Scan": True, "Err": True},
    # bufio.Writer keeps its first error and returns it from Flush: writes lose nothing.
    "bufio.Writer": {"Flush": True, "Write": False, "WriteString": False, "WriteByte": False,
                     "WriteRune": False},
    "json.Encoder": {"Encode": True},
    "json.Decoder": {"Decode": True},
    "gzip.Writer": {"Close": True, "Flush": True, "Write": True},
    "tabwriter.Writer": {"Flush": True},
    "csv.Writer": {"Write": True, "WriteAll": True, "Flush": False},
    "exec.Cmd": {"Run": True, "Start": True, "Wait": True},
    "net.Conn": {"Close": True, "Write": True, "SetDeadline": True},
    "http.Server": {"ListenAndServe": True, "Shutdown": True, "Close": True, "Serve": True},
    "template.Template": {"Execute": True, "ExecuteTemplate": True},
}  # fmt: skip

# Results of well-known constructors, so `f, err := os.Open(p)` gives `f` a type.
CONSTRUCTORS: dict[str, str] = {
    "os.Open": "os.File", "os.Create": "os.File", "os.OpenFile": "os.File",
    "sql.Open": "sql.DB", "bufio.NewWriter": "bufio.Writer",
    "bufio.NewWriterSize": "bufio.Writer", "json.NewEncoder": "json.Encoder",
    "json.NewDecoder": "json.Decoder", "gzip.NewWriter": "gzip.Writer",
    "tabwriter.NewWriter": "tabwriter.Writer", "csv.NewWriter": "csv.Writer",
    "exec.Command": "exec.Cmd", "exec.CommandContext": "exec.Cmd", "net.Dial": "net.Conn",
    "template.New": "template.Template", "template.Must": "template.Template",
    "md5.New": "hash.Hash", "sha1.New": "hash.Hash", "sha256.New": "hash.Hash",
    "sha512.New": "hash.Hash", "fnv.New32": "hash.Hash", "fnv.New32a": "hash.Hash",
    "fnv.New64": "hash.Hash", "fnv.New64a": "hash.Hash", "crc32.NewIEEE": "hash.Hash",
    "crc32.New": "hash.Hash", "hmac.New": "hash.Hash", "sha256.New224": "hash.Hash",
    "sha512.New384": "hash.Hash",
}  # fmt: skip

# Package-level variables of known types (`base64.StdEncoding.Encode(...)`).
PACKAGE_VARIABLES: dict[str, str] = {
    "base64.StdEncoding": "base64.Encoding", "base64.URLEncoding": "base64.Encoding",
    "base64.RawStdEncoding": "base64.Encoding", "base64.RawURLEncoding": "base64.Encoding",
    "os.Stdout": "os.File", "os.Stderr": "os.File", "os.Stdin": "os.File",
}  # fmt: skip

# Writers into memory: `io.WriteString(&buf, s)` and `fmt.Fprintf(&b, ...)` cannot fail.
NO_FAIL_WRITERS = frozenset({"bytes.Buffer", "strings.Builder", "hash.Hash"})
_WRITE_FUNCTIONS = frozenset({"io.WriteString", "fmt.Fprintf", "fmt.Fprint", "fmt.Fprintln"})

_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})


@dataclass(slots=True)
class Declarations:
    """What this file declares: function results, methods per type, struct fields."""

    functions: dict[str, str] = field(default_factory=dict)  # name -> result text
    methods: dict[str, dict[str, str]] = field(default_factory=dict)  # type -> name -> result
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # struct -> field -> type
    # type -> error fields that one of its methods assigns (a "sticky" error, kept and
    # returned later, as bufio.Writer does).
    sticky: dict[str, frozenset[str]] = field(default_factory=dict)

    def key(self) -> tuple[object, ...]:
        """A comparable summary, for the engine's file-wide facts."""
        return (
            tuple(sorted(self.functions.items())),
            tuple(sorted((t, tuple(sorted(m.items()))) for t, m in self.methods.items())),
            tuple(sorted((t, tuple(sorted(f.items()))) for t, f in self.fields.items())),
            tuple(sorted(self.sticky.items())),
        )


def packages(ctx: FileContext) -> dict[str, str]:
    """Local package name -> import path."""

    def collect() -> dict[str, str]:
        query = compiled_query(ctx.language, "(import_spec path: (_) @path) @spec")
        names = {}
        for _, captures in QueryCursor(query).matches(ctx.tree.root_node):
            path = string_value(captures["path"][0]) or ""
            alias = captures["spec"][0].child_by_field_name("name")
            names[ctx.text(alias) if alias is not None else path.rsplit("/", 1)[-1]] = path
        return names

    return ctx.memo("go.packages", collect)


def declarations(ctx: FileContext) -> Declarations:
    return ctx.memo("go.declarations", lambda: _collect(ctx))


_DECLARATIONS_QUERY = """
(function_declaration name: (identifier) @name) @function
(method_declaration receiver: (parameter_list) @receiver name: (field_identifier) @name) @method
(type_spec name: (type_identifier) @name type: (struct_type) @struct) @type
(type_spec name: (type_identifier) @name type: (interface_type) @interface) @type
"""


def _collect(ctx: FileContext) -> Declarations:
    found = Declarations()
    assigned: dict[str, set[str]] = {}
    query = compiled_query(ctx.language, _DECLARATIONS_QUERY)
    for _, captures in QueryCursor(query).matches(ctx.tree.root_node):
        name = ctx.text(captures["name"][0])
        if "function" in captures:
            found.functions[name] = result_text(ctx, captures["function"][0])
        elif "method" in captures:
            method = captures["method"][0]
            receiver = captures["receiver"][0]
            owner = type_name(ctx, _first_type(receiver))
            if owner is None:
                continue
            found.methods.setdefault(owner, {})[name] = result_text(ctx, method)
            variable = _first_name(ctx, receiver)
            body = ctx.text(method.child_by_field_name("body"))
            if variable:
                assigned.setdefault(owner, set()).update(
                    re.findall(rf"\b{re.escape(variable)}\.(\w+)\s*=[^=]", body)
                )
        elif "struct" in captures:
            fields = found.fields.setdefault(name, {})
            for declaration in _walk_type(captures["struct"][0], "field_declaration"):
                kind = declaration.child_by_field_name("type")
                for label in declaration.children_by_field_name("name"):
                    fields[ctx.text(label)] = ctx.text(kind)
        elif "interface" in captures:
            methods = found.methods.setdefault(name, {})
            for element in _walk_type(captures["interface"][0], "method_elem"):
                label = element.child_by_field_name("name")
                result = element.child_by_field_name("result")
                if label is not None:
                    methods[ctx.text(label)] = ctx.text(result)
    for owner, names in assigned.items():
        errors = frozenset(
            n for n in names if found.fields.get(owner, {}).get(n, "").strip() == "error"
        )
        if errors:
            found.sticky[owner] = errors
    return found


def _walk_type(node: Node, kind: str) -> list[Node]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            found.append(current)
            continue
        stack.extend(current.named_children)
    return found


def _first_type(parameters: Node) -> Node | None:
    for parameter in parameters.named_children:
        kind = parameter.child_by_field_name("type")
        if kind is not None:
            return kind
    return None


def _first_name(ctx: FileContext, parameters: Node) -> str:
    for parameter in parameters.named_children:
        name = parameter.child_by_field_name("name")
        if name is not None:
            return ctx.text(name)
    return ""


def result_text(ctx: FileContext, function: Node) -> str:
    """The result list of a function, method, literal or function type, as written."""
    return ctx.text(function.child_by_field_name("result")).strip()


def returns_error(result: str) -> bool:
    """Does a result list (`error`, `(int, error)`) end with an error?"""
    return re.search(r"\berror\s*\)?$", result.strip()) is not None


def type_name(ctx: FileContext, node: Node | None) -> str | None:
    """`T` for `T`, `*T` and `T[K]`; `pkg.T` (with the import's last path segment)."""
    while node is not None and node.type in ("pointer_type", "generic_type", "parenthesized_type"):
        node = node.named_children[0] if node.named_child_count else None
    if node is None:
        return None
    if node.type == "type_identifier":
        return ctx.text(node)
    if node.type == "qualified_type":
        package = ctx.text(node.child_by_field_name("package"))
        path = packages(ctx).get(package, package)
        return f"{path.rsplit('/', 1)[-1]}.{ctx.text(node.child_by_field_name('name'))}"
    return None


def enclosing_function(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in _FUNCTIONS:
        parent = parent.parent
    return parent


def qualified(ctx: FileContext, node: Node, *, shadowing: bool = True) -> str | None:
    """`pkg.Name` (import path's last segment) for a selector on an imported package
    (`shadowing`: unless a local of the same name hides the package)."""
    if node.type != "selector_expression":
        return None
    operand = node.child_by_field_name("operand")
    if operand is None or operand.type != "identifier":
        return None
    path = packages(ctx).get(ctx.text(operand))
    if path is None or (shadowing and _declared_in_scope(ctx, operand)):
        return None
    return f"{path.rsplit('/', 1)[-1]}.{ctx.text(node.child_by_field_name('field'))}"


def variable_type(ctx: FileContext, identifier: Node) -> Node | str | None:
    """What `identifier` was declared as in the functions around it: a type node, a
    `pkg.Type` name from a known constructor, or None when unknown (or not a local)."""
    name = ctx.text(identifier)
    function = enclosing_function(identifier)
    while function is not None:
        declared = _locals(ctx, function)
        if name in declared:
            return declared[name]
        function = enclosing_function(function)
    return None


def _declared_in_scope(ctx: FileContext, identifier: Node) -> bool:
    """Is `identifier` a parameter or local of a function around it (shadowing a package)?"""
    name = ctx.text(identifier)
    function = enclosing_function(identifier)
    while function is not None:
        if name in _locals(ctx, function):
            return True
        function = enclosing_function(function)
    return False


_LOCALS_QUERY = """
(var_spec name: (identifier) @name) @spec
(short_var_declaration left: (expression_list) @left right: (expression_list) @right) @short
"""


def _locals(ctx: FileContext, function: Node) -> dict[str, Node | str | None]:
    """Parameters and variables declared directly in `function`, with what is known of
    their type (the first declaration wins; None: declared, type unknown)."""

    def collect() -> dict[str, Node | str | None]:
        found: dict[str, Node | str | None] = {}
        for parameters in (
            function.child_by_field_name("receiver"),
            function.child_by_field_name("parameters"),
        ):
            for parameter in parameters.named_children if parameters is not None else []:
                for label in parameter.children_by_field_name("name"):
                    found.setdefault(ctx.text(label), parameter.child_by_field_name("type"))
        body = function.child_by_field_name("body")
        if body is None:
            return found
        cursor = QueryCursor(compiled_query(ctx.language, _LOCALS_QUERY))
        cursor.set_byte_range(body.start_byte, body.end_byte)
        for _, captures in cursor.matches(body):
            if enclosing_function(next(iter(captures.values()))[0]) != function:
                continue
            if "spec" in captures:
                spec = captures["spec"][0]
                kind = spec.child_by_field_name("type")
                value = spec.child_by_field_name("value")
                if kind is None and value is not None and value.named_child_count:
                    kind = _value_type(ctx, value.named_children[0])
                for label in spec.children_by_field_name("name"):
                    found.setdefault(ctx.text(label), kind)
                continue
            right = captures["right"][0].named_children
            value = _value_type(ctx, right[0]) if right else None
            for index, label in enumerate(captures["left"][0].named_children):
                found.setdefault(ctx.text(label), value if index == 0 else None)
        return found

    return ctx.memo(("go.locals", function.id), collect)


def _value_type(ctx: FileContext, value: Node) -> Node | str | None:
    if value.type == "unary_expression" and value.named_child_count:
        value = value.named_children[0]  # &T{...}
    if value.type == "composite_literal":
        return value.child_by_field_name("type")
    if value.type == "call_expression":
        function = value.child_by_field_name("function")
        if function is not None and ctx.text(function) == "new":
            arguments = value.child_by_field_name("arguments")
            return (
                arguments.named_children[0] if arguments and arguments.named_child_count else None
            )
        name = qualified(ctx, function, shadowing=False) if function is not None else None
        if name in CONSTRUCTORS:
            return CONSTRUCTORS[name]
    if value.type == "func_literal":
        return value
    return None


def expression_type(ctx: FileContext, node: Node) -> str | Node | None:
    """The type of a receiver expression: a variable, a package variable, or a field of a
    struct declared in this file. A `str` is a type name; a Node a type or func literal."""
    if node.type == "parenthesized_expression" and node.named_child_count:
        return expression_type(ctx, node.named_children[0])
    if node.type == "unary_expression" and node.named_child_count:
        return expression_type(ctx, node.named_children[0])
    if node.type == "identifier":
        return variable_type(ctx, node)
    if node.type == "selector_expression":
        package_variable = qualified(ctx, node)
        if package_variable is not None:
            return PACKAGE_VARIABLES.get(package_variable)
        operand = node.child_by_field_name("operand")
        holder = expression_type(ctx, operand) if operand is not None else None
        holder_name = holder if isinstance(holder, str) else type_name(ctx, holder)
        if holder_name is None:
            return None
        declared = declarations(ctx).fields.get(holder_name, {})
        return declared.get(ctx.text(node.child_by_field_name("field")))
    return None


def named_type(ctx: FileContext, found: str | Node | None) -> str | None:
    if isinstance(found, str):
        text = found.lstrip("*").strip()
        if "." in text:
            package, _, name = text.partition(".")
            path = packages(ctx).get(package, package)
            return f"{path.rsplit('/', 1)[-1]}.{name}"
        return text or None
    return type_name(ctx, found)


def call_returns_error(ctx: FileContext, call: Node) -> bool | None:
    """Does `call` return an error as its last result? None when the callee cannot be
    resolved (rules then stay quiet)."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    found = declarations(ctx)
    if function.type == "identifier":
        name = ctx.text(function)
        if _declared_in_scope(ctx, function):  # a parameter or variable of function type
            local = variable_type(ctx, function)
            if isinstance(local, Node) and local.type in ("function_type", "func_literal"):
                return returns_error(result_text(ctx, local))
            return None
        if name in found.functions:
            return returns_error(found.functions[name])
        return None
    if function.type != "selector_expression":
        return None
    package_function = qualified(ctx, function)
    if package_function is not None:
        if package_function in _WRITE_FUNCTIONS and _writes_to_memory(ctx, call):
            return False
        return True if package_function in ERROR_FUNCTIONS else None
    method = ctx.text(function.child_by_field_name("field"))
    operand = function.child_by_field_name("operand")
    receiver = named_type(ctx, expression_type(ctx, operand)) if operand is not None else None
    if receiver is None:
        return None
    if receiver in STANDARD_METHODS:
        return STANDARD_METHODS[receiver].get(method)
    result = found.methods.get(receiver, {}).get(method)
    if result is None:
        return None
    if found.sticky.get(receiver) and operand is not None:
        # The type keeps its first error in a field (like bufio.Writer) and the caller
        # reads it: the error is not lost.
        scope = enclosing_function(call)
        text = ctx.text(scope) if scope is not None else ""
        variable = re.escape(ctx.text(operand))
        if any(re.search(rf"\b{variable}\.{f}\b", text) for f in found.sticky[receiver]):
            return False
    return returns_error(result)


def _writes_to_memory(ctx: FileContext, call: Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments and arguments.named_child_count else None
    if first is None:
        return False
    return named_type(ctx, expression_type(ctx, first)) in NO_FAIL_WRITERS
