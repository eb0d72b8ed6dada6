"""Python checks for the catalogue's rules.

Call-based rules share one pass over the calls of the analysed region (`calls`), which
resolves each interesting callee to its qualified name through imports, aliases and
earlier assignments. Every check stays quiet when it cannot tell (unknown callee,
unresolvable value): a finding must be worth the reader's time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node, QueryCursor

from lantern.analysis import pyflow
from lantern.analysis.context import FileContext, compiled_query, string_value, walk
from lantern.analysis.fixes import line_indent, python_import, remove_argument, replace_node
from lantern.analysis.pyflow import (
    argument,
    dynamic_text,
    keyword,
    positional,
    qualified_name,
    resolve,
    string_shape,
)
from lantern.analysis.rules import declarations as c
from lantern.analysis.rules.model import (
    FACTS_BY_STATEMENT,
    GATHERED_FACTS,
    PYTHON,
    Edit,
    FactsByStatement,
    Fix,
    GatheredFact,
    Hit,
    file_fact,
)
from lantern.analysis.rules.python_unbound import FUNCTION_QUERY
from lantern.analysis.rules.secrets import speaks_of_secrets

# -- the shared call index ----------------------------------------------------------------

# Callee names (last dotted segment) that some rule cares about; others are skipped fast.
_INTERESTING = frozenset(
    {
        "eval", "exec", "compile",
        "system", "popen", "getoutput", "getstatusoutput", "create_subprocess_shell",
        "run", "call", "check_call", "check_output", "Popen", "spawn",
        "execute", "executemany", "executescript", "raw", "read_sql", "read_sql_query",
        "exec_driver_sql", "text", "mogrify", "query", "extra",
        "load", "loads", "Unpickler", "open", "decode", "read_pickle",
        "load_all", "unsafe_load", "full_load", "unsafe_load_all", "full_load_all",
        "md5", "sha1", "new", "MD5", "SHA1",
        "_create_unverified_context",
        "mktemp", "tempnam", "tmpnam",
        "range", "socket", "create_connection", "urlopen",
    }
)  # fmt: skip


def calls(ctx: FileContext) -> list[tuple[Node, str]]:
    """(call, qualified callee name) for the interesting calls in the region (gathered by
    the engine's traversal; computed here when asked outside one)."""
    return ctx.memo(_calls_key(ctx), lambda: _index_calls(ctx))


def _calls_key(ctx: FileContext) -> tuple[str, tuple[int, int] | None]:
    return ("py.calls", ctx.region)


_CALL_QUERY = f"""
((call function: (attribute attribute: (identifier) @last) @f) @call
    (#any-of? @last {" ".join(f'"{name}"' for name in sorted(_INTERESTING))}))
(call function: (identifier) @f) @call
"""


def _index_calls(ctx: FileContext) -> list[tuple[Node, str]]:
    cursor = QueryCursor(compiled_query(ctx.language, _CALL_QUERY))
    if ctx.region is not None:
        cursor.set_byte_range(*ctx.region)
    return _interesting_calls(ctx, [captures for _, captures in cursor.matches(ctx.tree.root_node)])


def _interesting_calls(
    ctx: FileContext, matches: list[dict[str, list[Node]]]
) -> list[tuple[Node, str]]:
    table = pyflow.imports(ctx)
    found = []
    for captures in matches:
        function = captures["f"][0]
        if function.type == "identifier":
            name = ctx.text(function)
            if name not in table and (name not in _INTERESTING or name in _defined_functions(ctx)):
                continue  # not one of ours, or the file's own `def open(...)` shadows it
            last = table.get(name, name).rsplit(".", 1)[-1]
        elif function.type == "attribute":
            last = ctx.text(function.child_by_field_name("attribute"))
        else:
            continue
        if last in _INTERESTING:
            found.append((captures["call"][0], qualified_name(ctx, function) or last))
    return found


GATHERED_FACTS.append(GatheredFact(PYTHON, _CALL_QUERY, _calls_key, _interesting_calls))


def _defined_functions(ctx: FileContext) -> frozenset[str]:
    def collect() -> frozenset[str]:
        async_names, sync_names = _async_functions(ctx)
        return frozenset(async_names | sync_names)

    return ctx.memo("py.defined", collect)  # once per file, not once per call


def _calls_named(ctx: FileContext, names: frozenset[str]) -> Iterator[tuple[Node, str]]:
    for call, name in calls(ctx):
        if name in names:
            yield call, name


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _describe(ctx: FileContext, node: Node) -> str:
    text = ctx.text(node).split("\n")[0]
    return text if len(text) <= 40 else text[:39] + "…"


def _is_true(ctx: FileContext, node: Node | None) -> bool:
    return node is not None and resolve(ctx, node).type == "true"


def _is_false(ctx: FileContext, node: Node | None) -> bool:
    return node is not None and resolve(ctx, node).type == "false"


# -- LS101 code injection -----------------------------------------------------------------

# compile() only turns text into a code object; running it is exec's or eval's job, so
# `exec(compile(text, ...))` is one construct with one finding, at the exec.
_EVALUATORS = frozenset({"eval", "exec", "builtins.eval", "builtins.exec"})
_COMPILERS = frozenset({"compile", "builtins.compile"})
# Whole script files are code, not data: exec(f.read()) is how runpy-like loaders work.
_READS_CODE_FILE = re.compile(r"(\.read\(\s*\)|\.read_text\(|\.read_bytes\()$")


def _evaluated_text(ctx: FileContext, source: Node, depth: int = 0) -> Node | None:
    """The text `source` runs, looking through compile(); None when it is code already
    (a literal, or a file's whole contents)."""
    value = resolve(ctx, source)
    if value.type == "call" and depth < 3:
        name = qualified_name(ctx, value.child_by_field_name("function")) or ""
        if name in _COMPILERS:
            inner = argument(ctx, value, 0, "source")
            return None if inner is None else _evaluated_text(ctx, inner, depth + 1)
        if _READS_CODE_FILE.search(ctx.text(value)):
            return None
    return source if dynamic_text(ctx, source) else None


@c.CODE_INJECTION.check(PYTHON, "")
def _code_injection(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in _calls_named(ctx, _EVALUATORS):
        source = argument(ctx, call, 0, "source")
        if source is None or _evaluated_text(ctx, source) is None:
            continue
        function = _last(name)
        fix = None
        if function == "eval":
            edits = [replace_node(call.child_by_field_name("function"), "ast.literal_eval")]
            if (added := python_import(ctx, "ast")) is not None:
                edits.append(added)
            fix = Fix("Use ast.literal_eval (literals only)", tuple(edits), safe=False)
        yield Hit.at(
            call,
            f"`{function}()` runs code built from `{_describe(ctx, source)}`, which is not a "
            "literal: parse data with ast.literal_eval or json.loads, or dispatch through an "
            "allow-list.",
            fix,
        )


# -- LS102 command injection --------------------------------------------------------------

_SHELL_ALWAYS = frozenset(
    {
        "os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4",
        "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput",
        "commands.getstatusoutput", "asyncio.create_subprocess_shell", "platform.popen",
    }
)  # fmt: skip
_SUBPROCESS = frozenset(
    {
        "subprocess.run", "subprocess.call", "subprocess.check_call",
        "subprocess.check_output", "subprocess.Popen",
        "asyncio.create_subprocess_exec", "os.execv", "os.execvp", "os.spawnv", "os.spawnvp",
        "pty.spawn",
    }
)  # fmt: skip
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "cmd", "cmd.exe", "powershell", "pwsh"})


def _shell_list_command(ctx: FileContext, node: Node) -> Node | None:
    """For `["sh", "-c", cmd]` (or resolved to it), the non-literal `cmd`; else None."""
    value = resolve(ctx, node)
    if value.type not in ("list", "tuple"):
        return None
    items = value.named_children
    words = [string_value(item) for item in items]
    if not words or words[0] is None or words[0].rsplit("/", 1)[-1] not in _SHELLS:
        return None
    for index, word in enumerate(words[1:], start=1):
        if word in ("-c", "/c", "/C", "-Command") and index + 1 < len(items):
            command = items[index + 1]
            return command if dynamic_text(ctx, command) else None
    return None


@c.COMMAND_INJECTION.check(PYTHON, "")
def _command_injection(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in calls(ctx):
        if name in _SHELL_ALWAYS:
            command = argument(ctx, call, 0, "cmd") or argument(ctx, call, 0, "command")
            if command is not None and dynamic_text(ctx, command):
                yield Hit.at(
                    command,
                    f"`{_last(name)}()` runs `{_describe(ctx, command)}` through a shell: pass "
                    "an argument list to subprocess.run([...]) without shell=True.",
                )
        elif name in _SUBPROCESS or name.startswith("os.exec") or name.startswith("os.spawn"):
            args = argument(ctx, call, 0, "args")
            if args is None and name.startswith(("os.exec", "os.spawn")):
                args = positional(call, 1)
            if args is None:
                continue
            inner = _shell_list_command(ctx, args)
            if inner is not None:
                yield Hit.at(
                    inner,
                    f"`{_describe(ctx, inner)}` is run by a shell (`-c`): pass the program and "
                    "its arguments as a list instead.",
                )
            elif _is_true(ctx, keyword(ctx, call, "shell")) and dynamic_text(ctx, args):
                yield Hit.at(
                    args,
                    f"`{_describe(ctx, args)}` is run with shell=True, so shell syntax in the "
                    "data runs commands: pass a list of arguments and drop shell=True.",
                )


# -- LS103 SQL injection ------------------------------------------------------------------

_SQL_METHODS = frozenset(
    {"execute", "executemany", "executescript", "raw", "read_sql", "read_sql_query",
     "exec_driver_sql", "mogrify", "query", "extra"}
)  # fmt: skip
_SQL_TEXT = re.compile(
    r"(?is)\b(select\b.+\bfrom|insert\s+into|update\b.+\bset\b|delete\s+from|"
    r"create\s+(table|index|view)|drop\s+(table|index|view)|alter\s+table|where\b|"
    r"order\s+by|values\s*\()"
)


def sql_hit(ctx: FileContext, query: Node, shape: pyflow.StringShape) -> Hit:
    parts = ", ".join(f"`{_describe(ctx, node)}`" for node in shape.dynamic[:3])
    return Hit.at(
        query,
        f"SQL is built from {parts} and executed: keep the statement constant with "
        "placeholders (%s, ?, :name) and pass the values as parameters.",
    )


@c.SQL_INJECTION.check(PYTHON, "")
def _sql_injection(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in calls(ctx):
        last = _last(name)
        is_text = name in (
            "sqlalchemy.text",
            "sqlalchemy.sql.text",
            "sqlalchemy.sql.expression.text",
        )
        if last not in _SQL_METHODS and not is_text:
            continue
        query = argument(ctx, call, 0, "sql") or keyword(ctx, call, "query")
        query = query or keyword(ctx, call, "statement")
        if query is None:
            continue
        shape = string_shape(ctx, query)
        if shape.built and shape.dynamic and _SQL_TEXT.search(shape.literal):
            yield sql_hit(ctx, query, shape)


# -- LS105 unsafe deserialisation ---------------------------------------------------------

_DESERIALISERS = frozenset(
    {
        f"{module}.{function}"
        for module in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal")
        for function in ("load", "loads", "Unpickler")
    }
    | {"shelve.open", "jsonpickle.decode", "pandas.read_pickle", "joblib.load", "torch.load",
       "numpy.load", "keras.models.load_model"}
)  # fmt: skip


def _is_dumps(ctx: FileContext, node: Node | None) -> bool:
    value = resolve(ctx, node) if node is not None else None
    return (
        value is not None
        and value.type == "call"
        and (qualified_name(ctx, value.child_by_field_name("function")) or "").endswith("dumps")
    )


def _produced_by_dumps(ctx: FileContext, data: Node) -> bool:
    """Is `data` the result of a `dumps()` in this program: directly, through a local
    name, or through a `self.x` attribute that every assignment in the class sets so?"""
    if _is_dumps(ctx, data):
        return True
    if data.type != "attribute" or ctx.text(data.child_by_field_name("object")) != "self":
        return False
    attribute = ctx.text(data.child_by_field_name("attribute"))
    owner = data.parent
    while owner is not None and owner.type != "class_definition":
        owner = owner.parent
    if owner is None:
        return False
    query = compiled_query(ctx.language, "(assignment left: (attribute) @left) @set")
    values = [
        node.child_by_field_name("right")
        for node in QueryCursor(query).captures(owner).get("set", [])
        if ctx.text(node.child_by_field_name("left")) == f"self.{attribute}"
    ]
    return bool(values) and all(_is_dumps(ctx, value) for value in values)


@c.UNSAFE_DESERIALIZATION.check(PYTHON, "")
def _unsafe_deserialisation(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in _calls_named(ctx, _DESERIALISERS):
        data = positional(call, 0)
        if data is None or not dynamic_text(ctx, data):
            continue
        if name == "torch.load" and _is_true(ctx, keyword(ctx, call, "weights_only")):
            continue
        if name == "numpy.load" and not _is_true(ctx, keyword(ctx, call, "allow_pickle")):
            continue
        if name == "keras.models.load_model":
            continue
        if _produced_by_dumps(ctx, data):
            continue  # bytes this program pickled itself and kept in memory
        yield Hit.at(
            call,
            f"`{name}()` on `{_describe(ctx, data)}` can run arbitrary code while loading: "
            "load only data you produced, or use JSON.",
        )


# -- LS106 yaml.load ----------------------------------------------------------------------

_YAML_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
_YAML_UNSAFE_LOADERS = frozenset(
    {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"}
)
_YAML_FUNCTIONS = frozenset(
    {f"{m}.{f}" for m in ("yaml", "ruamel.yaml") for f in ("load", "load_all")}
)
_YAML_UNSAFE_FUNCTIONS = frozenset(
    {"yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"}
)


@c.UNSAFE_YAML.check(PYTHON, "")
def _unsafe_yaml(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in calls(ctx):
        function = call.child_by_field_name("function")
        attribute = (
            function.child_by_field_name("attribute") if function.type == "attribute" else None
        )
        safe_name = "safe_load_all" if name.endswith("_all") else "safe_load"
        if name in _YAML_UNSAFE_FUNCTIONS:
            fix = None
            if attribute is not None:
                fix = Fix(
                    f"Use yaml.{safe_name}", (replace_node(attribute, safe_name),), safe=False
                )
            yield Hit.at(
                call, f"`{name}()` builds arbitrary Python objects: use yaml.{safe_name}().", fix
            )
            continue
        if name not in _YAML_FUNCTIONS:
            continue
        loader = argument(ctx, call, 1, "Loader")
        if loader is None:
            fix = None
            if attribute is not None:
                fix = Fix(f"Use yaml.{safe_name}", (replace_node(attribute, safe_name),), safe=True)
            yield Hit.at(
                call,
                f"`{_last(name)}()` without a Loader can build arbitrary objects (and fails on "
                f"PyYAML 6): use yaml.{safe_name}().",
                fix,
            )
            continue
        loader_name = _last(qualified_name(ctx, resolve(ctx, loader)) or "")
        if loader_name in _YAML_UNSAFE_LOADERS:
            fix = None
            if attribute is not None and loader.parent is not None:
                removed = loader.parent if loader.parent.type == "keyword_argument" else loader
                if removed.parent is not None and removed.parent.type == "argument_list":
                    fix = Fix(
                        f"Use yaml.{safe_name}",
                        (replace_node(attribute, safe_name), remove_argument(ctx, removed)),
                        safe=False,
                    )
            yield Hit.at(
                loader,
                f"`Loader={loader_name}` builds arbitrary Python objects from tags: use "
                f"yaml.{safe_name}() or Loader=yaml.SafeLoader.",
                fix,
            )


# -- LS107 weak password hashes -----------------------------------------------------------

_WEAK_HASHES = frozenset(
    {"hashlib.md5", "hashlib.sha1", "Crypto.Hash.MD5.new", "Crypto.Hash.SHA.new",
     "Crypto.Hash.SHA1.new", "Cryptodome.Hash.MD5.new", "Cryptodome.Hash.SHA1.new",
     "cryptography.hazmat.primitives.hashes.MD5", "cryptography.hazmat.primitives.hashes.SHA1"}
)  # fmt: skip
_WEAK_NAMES = frozenset({"md5", "sha1", "sha-1", "md4", "md5-sha1"})


@c.WEAK_HASH.check(PYTHON, "")
def _weak_hash(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in calls(ctx):
        if name == "hashlib.new":
            algorithm = argument(ctx, call, 0, "name")
            value = string_value(resolve(ctx, algorithm)) if algorithm is not None else None
            if value is None or value.lower() not in _WEAK_NAMES:
                continue
            label = value.upper()
        elif name in _WEAK_HASHES:
            label = "MD5" if "md5" in name.lower() else "SHA-1"
        else:
            continue
        if _is_false(ctx, keyword(ctx, call, "usedforsecurity")):
            continue
        if speaks_of_secrets(ctx, call, ("block", "module"), ctx.enclosing_function(call)):
            yield Hit.at(
                call,
                f"{label} is too weak to protect passwords or secrets: use hashlib.scrypt, "
                "bcrypt or argon2 for passwords, SHA-256 or better otherwise.",
            )


# -- LS108 TLS verification ---------------------------------------------------------------

_VERIFY_KEYWORDS = frozenset({"verify", "verify_ssl", "ssl_verify", "check_hostname"})


# `**kwargs` is matched alone and its call found from it: a pattern from the call down
# keeps a match open per level of nested calls, quadratic in the nesting depth.
@c.TLS_DISABLED.check(
    PYTHON,
    """
    ((keyword_argument name: (identifier) @name value: (_) @value) @keyword
        (#any-of? @name "verify" "verify_ssl" "ssl_verify" "check_hostname" "cert_reqs" "ssl"))
    ((assignment left: (attribute attribute: (identifier) @attribute) right: (_) @value) @set
        (#any-of? @attribute "verify" "check_hostname" "verify_mode"))
    (dictionary_splat (_) @splat)
    """,
)
def _tls_disabled(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    if "keyword" in captures:
        name, value = ctx.text(captures["name"][0]), captures["value"][0]
        if name in _VERIFY_KEYWORDS and _is_false(ctx, value):
            keyword_node = captures["keyword"][0]
            fix = None
            if name == "verify" and keyword_node.parent.type == "argument_list":
                fix = Fix("Remove verify=False", (remove_argument(ctx, keyword_node),), safe=False)
            yield Hit.at(
                keyword_node,
                f"`{name}=False` turns off TLS certificate checks, so anyone on the network can "
                "impersonate the server: trust the right CA bundle instead.",
                fix,
            )
        elif name == "cert_reqs" and ctx.text(value).strip("'\"").endswith("CERT_NONE"):
            yield Hit.at(
                captures["keyword"][0], "`cert_reqs=CERT_NONE` turns off TLS certificate checks."
            )
        elif name == "ssl" and _is_false(ctx, value):
            yield Hit.at(captures["keyword"][0], "`ssl=False` turns off TLS certificate checks.")
    elif "set" in captures:
        attribute, value = ctx.text(captures["attribute"][0]), captures["value"][0]
        if attribute == "check_hostname" and _also_cert_none(ctx, captures["set"][0]):
            return  # one finding per context object: the `verify_mode = CERT_NONE` line
        if attribute in ("verify", "check_hostname") and _is_false(ctx, value):
            yield Hit.at(
                captures["set"][0],
                f"Setting `{attribute} = False` turns off TLS certificate checks for every "
                "request made through this object.",
            )
        elif attribute == "verify_mode" and ctx.text(value).endswith("CERT_NONE"):
            yield Hit.at(
                captures["set"][0], "`verify_mode = CERT_NONE` turns off TLS certificate checks."
            )
    elif "splat" in captures:
        arguments = captures["splat"][0].parent.parent
        call = arguments.parent if arguments is not None else None
        if call is None or arguments.type != "argument_list" or call.type != "call":
            return
        value = pyflow.keyword(ctx, call, "verify")
        arguments = call.child_by_field_name("arguments")
        direct = any(
            a.type == "keyword_argument" and ctx.text(a.child_by_field_name("name")) == "verify"
            for a in (arguments.named_children if arguments is not None else [])
        )
        if not direct and _is_false(ctx, value):
            yield Hit.at(
                captures["splat"][0].parent,
                "These keyword arguments contain `verify: False`, which turns off TLS "
                "certificate checks.",
            )


def _also_cert_none(ctx: FileContext, assignment: Node) -> bool:
    """Does the object whose `check_hostname` this sets also get `verify_mode = CERT_NONE`
    in the same scope?"""
    left = assignment.child_by_field_name("left")
    holder = left.child_by_field_name("object") if left is not None else None
    if holder is None:
        return False
    pattern = rf"\b{re.escape(ctx.text(holder))}\.verify_mode\s*=\s*[\w.]*CERT_NONE\b"
    return re.search(pattern, ctx.text(ctx.scope_of(assignment))) is not None


@c.TLS_DISABLED.check(PYTHON, "")
def _unverified_context(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in calls(ctx):
        if _last(name) == "_create_unverified_context":
            yield Hit.at(
                call,
                "An unverified SSL context accepts any certificate: use "
                "ssl.create_default_context().",
            )


# -- LS109 mktemp -------------------------------------------------------------------------


@c.INSECURE_TEMPFILE.check(PYTHON, "")
def _mktemp(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in _calls_named(ctx, frozenset({"tempfile.mktemp", "os.tempnam", "os.tmpnam"})):
        function = call.child_by_field_name("function")
        fix = None
        if name == "tempfile.mktemp" and function.type == "attribute":
            attribute = function.child_by_field_name("attribute")
            fix = Fix(
                "Use tempfile.mkstemp",
                (replace_node(attribute, "mkstemp"), Edit(call.end_byte, call.end_byte, "[1]")),
                safe=False,
            )
        yield Hit.at(
            call,
            f"`{name}()` returns a name another process can create first: use "
            "tempfile.mkstemp() or NamedTemporaryFile().",
            fix,
        )


# -- LS110 assert for authorisation -------------------------------------------------------

_AUTH_WORDS = re.compile(
    r"(?i)(is_admin|\badmin\b|is_staff|superuser|authenticated|authori[sz]|permission|has_perm|"
    r"\broles?\b|logged_in|is_owner|\bowner\b|\bcan_[a-z]+|\ballowed\b|has_access|"
    r"\baccess_level\b|csrf|(check|verify)_password|\bacl\b|privilege|is_active_user|"
    r"\b(api_|auth_|access_|session_)?token\b(?!\.)|\bpassword\b(?!\.)|\bsecret\b(?!\.))"
)


# The second signal an authorisation assert needs: it asks about a principal (the
# request, the user, the session) or calls an authentication API.
_PRINCIPAL = re.compile(
    r"(?i)\b(request|req|user|current_user|principal|account|member|session|identity|actor|"
    r"viewer|caller|g\.user)\b\s*[.\[(]|\b(has_perms?|has_permission|check_password|"
    r"verify_password|is_authenticated|compare_digest|check_permission)\s*\("
)


def _in_test(ctx: FileContext, node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("function_definition", "class_definition"):
            name = ctx.text(parent.child_by_field_name("name"))
            if name.startswith(("test", "Test")) or name.endswith(("_test", "Test", "Tests")):
                return True
        parent = parent.parent
    return False


@c.ASSERT_AUTH.check(PYTHON, "(assert_statement . (_) @condition) @assert")
def _assert_auth(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    statement, condition = captures["assert"][0], captures["condition"][0]
    text = ctx.text(condition)
    if not _AUTH_WORDS.search(text) or text.startswith("isinstance(") or _in_test(ctx, statement):
        return
    if not _PRINCIPAL.search(text):
        return  # a word like `can_…` or `role` alone is not an authorisation check

    rest = condition.next_named_sibling
    indent = line_indent(ctx, statement.start_byte)
    message = ctx.text(rest) if rest is not None else repr("permission denied")
    replacement = f"if not ({text}):\n{indent}    raise PermissionError({message})"
    fix = Fix(
        "Raise PermissionError instead of assert",
        (replace_node(statement, replacement),),
        safe=False,
    )
    yield Hit.at(
        statement,
        "This authorisation check is an assert, which `python -O` removes: raise an exception "
        "(e.g. PermissionError) explicitly.",
        fix,
    )


# -- LB201 mutable defaults ---------------------------------------------------------------

_MUTABLE_LITERALS = frozenset(
    {
        "list",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
    }
)
_MUTABLE_CALLS = frozenset(
    {"list", "dict", "set", "defaultdict", "OrderedDict", "Counter", "deque", "bytearray",
     "collections.defaultdict", "collections.OrderedDict", "collections.Counter",
     "collections.deque"}
)  # fmt: skip


@c.MUTABLE_DEFAULT.check(
    PYTHON,
    """[(default_parameter name: (identifier) @name value: (_) @value)
        (typed_default_parameter name: (identifier) @name value: (_) @value)] @param""",
)
def _mutable_default(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    value, name = captures["value"][0], ctx.text(captures["name"][0])
    kind = value.type
    if kind not in _MUTABLE_LITERALS and not (
        kind == "call" and ctx.text(value.child_by_field_name("function")) in _MUTABLE_CALLS
    ):
        return
    function = captures["param"][0].parent.parent if captures["param"][0].parent else None
    if function is None or function.type != "function_definition":
        return
    annotation = captures["param"][0].child_by_field_name("type")
    if annotation is not None and _READ_ONLY_TYPES.search(ctx.text(annotation)):
        return  # declared read-only (`Mapping`, `Sequence`): the function promises not to mutate
    yield Hit.at(
        value,
        f"The default `{_describe(ctx, value)}` of `{name}` is created once and shared by every "
        f"call: default to None and create it inside the function.",
        _mutable_default_fix(ctx, function, name, value),
    )


_READ_ONLY_TYPES = re.compile(
    r"^(Optional\[)?([\w.]*\.)?(Mapping|Sequence|Iterable|Collection|AbstractSet|Container|"
    r"FrozenSet|frozenset|Reversible)\b"
)


def _mutable_default_fix(ctx: FileContext, function: Node, name: str, value: Node) -> Fix | None:
    body = function.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return None
    statements = [s for s in body.named_children if s.type != "comment"]
    first = statements[0]
    if first.start_point[0] == function.start_point[0]:
        return None  # a one-line function: no room for a guard
    anchor = first
    if first.type == "expression_statement" and first.named_children[0].type == "string":
        if len(statements) == 1:
            return None
        anchor = statements[1]
    indent = line_indent(ctx, anchor.start_byte)
    guard = f"if {name} is None:\n{indent}    {name} = {ctx.text(value)}\n{indent}"
    return Fix(
        f"Default `{name}` to None",
        (replace_node(value, "None"), Edit(anchor.start_byte, anchor.start_byte, guard)),
        safe=False,
    )


# -- LB202 / LB203 exception handlers -----------------------------------------------------


def _handler_parts(clause: Node) -> tuple[Node | None, Node | None]:
    """(the caught expression or None for bare, the handler block)."""
    caught = clause.child_by_field_name("value")
    if caught is None:
        caught = next(
            (n for n in clause.named_children if n.type not in ("block", "comment")), None
        )
    block = next((n for n in clause.named_children if n.type == "block"), None)
    return caught, block


def _does_nothing(block: Node | None) -> bool:
    if block is None:
        return False
    statements = [s for s in block.named_children if s.type != "comment"]
    return bool(statements) and all(
        s.type in ("pass_statement", "continue_statement")
        or (
            s.type == "expression_statement"
            and s.named_children
            and s.named_children[0].type == "ellipsis"
        )
        for s in statements
    )


@c.BARE_EXCEPT.check(PYTHON, "(except_clause) @clause")
def _bare_except(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    clause = captures["clause"][0]
    caught, block = _handler_parts(clause)
    if caught is not None or block is None or _does_nothing(block):
        return
    if any(pyflow.always_raises(ctx, s) for s in block.named_children):
        return  # cleans up and re-raises, directly or through a re-raising context manager
    keyword_node = clause.children[0]
    yield Hit.at(
        keyword_node,
        "A bare `except:` also catches KeyboardInterrupt and SystemExit: catch Exception or "
        "something narrower.",
        Fix(
            "Catch Exception",
            (Edit(keyword_node.end_byte, keyword_node.end_byte, " Exception"),),
            safe=False,
        ),
    )


_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})


@c.SWALLOWED_EXCEPTION.check(PYTHON, "(except_clause) @clause")
def _swallowed(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    clause = captures["clause"][0]
    caught, block = _handler_parts(clause)
    if not _does_nothing(block):
        return
    function = ctx.enclosing_function(clause)
    if function is not None and ctx.text(function.child_by_field_name("name")) == "__del__":
        return  # a finaliser must not raise; Python would only print the error anyway
    if caught is not None:
        target = caught.named_children[0] if caught.type == "as_pattern" else caught
        names = target.named_children if target.type == "tuple" else [target]
        if not any(ctx.text(n) in _BROAD for n in names):
            return
    header_end = block.start_byte if block is not None else clause.end_byte
    what = "Every exception" if caught is None else f"`{_describe(ctx, caught)}`"
    yield Hit(
        clause.start_byte,
        ctx.source.rfind(b":", clause.start_byte, header_end) + 1 or header_end,
        f"{what} is caught and silently ignored: catch the exceptions you expect, or log it.",
    )


# -- LB204 == None ------------------------------------------------------------------------

_QUERY_BUILDERS = frozenset(
    {"filter", "where", "having", "filter_by", "exclude", "and_", "or_", "not_", "case",
     "join", "outerjoin", "select", "query", "when", "assert_that"}
)  # fmt: skip


@c.NONE_COMPARISON.check(PYTHON, "(comparison_operator (none)) @comparison")
def _none_comparison(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    comparison = captures["comparison"][0]
    operators = comparison.children_by_field_name("operators")
    if len(operators) != 1 or operators[0].type not in ("==", "!="):
        return
    parent = comparison.parent
    while parent is not None and parent.type in (
        "parenthesized_expression",
        "boolean_operator",
        "not_operator",
        "tuple",  # case((expr != None, value)) in SQLAlchemy
        "list",
    ):
        parent = parent.parent
    if parent is not None and parent.type in ("subscript", "keyword_argument"):
        return  # pandas masks, ORM expressions
    if parent is not None and parent.type == "argument_list":
        call = parent.parent
        function = call.child_by_field_name("function") if call is not None else None
        last = ctx.text(function).rsplit(".", 1)[-1] if function is not None else ""
        if last in _QUERY_BUILDERS:
            return
    operator = operators[0]
    better = "is" if operator.type == "==" else "is not"
    yield Hit.at(
        comparison,
        f"Comparison to None with `{operator.type}`: use `{better}` (identity, not __eq__).",
        Fix(f"Use `{better}`", (replace_node(operator, better),), safe=True),
    )


# -- LB205 unreachable code ---------------------------------------------------------------

_NESTED_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
_JUMPS = "[(return_statement) (raise_statement) (break_statement) (continue_statement)]"


# The jump alone, its block and what follows it checked here: the pattern
# `(block _JUMPS @jump . (_) @next)` costs a fifth of the whole fused query's traversal.
@c.UNREACHABLE.check(PYTHON, f"{_JUMPS} @jump")
def _unreachable(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    jump = captures["jump"][0]
    tail = jump.next_named_sibling
    if tail is None:
        return  # the last statement of its block, as most jumps are
    parent = jump.parent
    if parent is None or parent.type != "block":
        return  # as the pattern had it: a jump among the statements of a block
    while tail is not None:
        if any(n.type == "yield" for n in walk(tail, _NESTED_SCOPES)):
            # `raise ...; yield` is the idiom that makes a function a generator: the
            # dead `yield` changes what the function returns, so it is not dead code.
            return
        tail = tail.next_named_sibling
    yield from unreachable_after(ctx, jump)


def unreachable_after(ctx: FileContext, jump: Node) -> Iterator[Hit]:
    """A hit on the first statement after `jump` in its block (any language)."""
    following = jump.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    if following is None or following.type in ("}",):
        return
    last = following
    while last.next_named_sibling is not None:
        last = last.next_named_sibling
    keyword_text = ctx.text(jump).split(None, 1)[0].rstrip(";")
    yield Hit.at(
        following,
        f"This code can never run: it follows `{keyword_text}` in the same block. Remove it or "
        "move it before the jump.",
        Fix("Remove unreachable code", (Edit(jump.end_byte, last.end_byte, ""),), safe=False),
    )


# -- LB207 infinite recursion -------------------------------------------------------------

_CONDITIONAL = frozenset(
    {"conditional_expression", "boolean_operator", "lambda", "function_definition",
     "list_comprehension", "generator_expression", "set_comprehension",
     "dictionary_comprehension", "if_statement", "for_statement", "while_statement",
     "try_statement", "match_statement", "class_definition"}
)  # fmt: skip


# LB206's pattern exactly, so that the engine matches each function once for both.
@c.INFINITE_RECURSION.check(PYTHON, FUNCTION_QUERY)
def _infinite_recursion(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    function, body = captures["function"][0], captures["body"][0]
    name_node = function.child_by_field_name("name")
    if name_node is None or name_node.type != "identifier":
        return  # as a pattern `name: (identifier)` would have it
    name = ctx.text(name_node)
    if ctx.source.find(name.encode(), body.start_byte, body.end_byte) == -1:
        return  # cheap exit before any parent lookup (Node.parent is not free)
    decorators = []
    if function.parent is not None and function.parent.type == "decorated_definition":
        decorators = [
            ctx.text(d).lstrip("@").strip()
            for d in function.parent.named_children
            if d.type == "decorator"
        ]
    if any(
        d.startswith(("overload", "typing.overload", "abstractmethod", "abc.abstractmethod"))
        for d in decorators
    ):
        return
    in_class = _class_of(function) is not None
    is_property = "property" in decorators or any(d.endswith(".getter") for d in decorators)
    is_setter = any(d == f"{name}.setter" for d in decorators)
    body = captures["body"][0]
    needle = f"self.{name}" if in_class else f"{name}("
    body_text = ctx.source[body.start_byte : body.end_byte]
    if needle.encode() not in body_text:
        return
    if not in_class and (name in pyflow.parameters(function) or _rebound(name, body_text)):
        return  # the name is rebound inside: the call goes elsewhere
    reference = _first_unconditional_self_reference(
        ctx, body, name, in_class, is_property, is_setter
    )
    if reference is not None:
        what = (
            "property reads itself"
            if is_property
            else "setter assigns itself"
            if is_setter
            else "function calls itself"
        )
        yield Hit.at(
            reference,
            f"This {what} unconditionally, so it recurses until RecursionError: add a base "
            "case or use another attribute.",
        )


_SPACE = frozenset(b" \t\n\r\f\v")  # what `\s` matches in a bytes pattern


def _rebound(name: str, body: bytes) -> bool:
    r"""Does `body` rebind `name`: the regular expression
    `(?<![.\w])NAME\s*=[^=]|\bimport\b[^\n]*\bNAME\b|\bglobal\b[^\n]*\bNAME` finds it?
    Without `import` or `global` in the body only the first branch can, and it is
    searched without compiling a pattern per function name (most names are unique)."""
    needle = name.encode()
    if b"import" in body or b"global" in body:
        word = re.escape(needle)
        pattern = rb"(?<![.\w])" + word + rb"\s*=[^=]|\bimport\b[^\n]*\b" + word
        pattern += rb"\b|\bglobal\b[^\n]*\b" + word
        return re.search(pattern, body) is not None
    position = body.find(needle)
    while position != -1:
        before = body[position - 1 : position]
        if not (before == b"." or before == b"_" or before.isalnum()):
            after = position + len(needle)
            while after < len(body) and body[after] in _SPACE:
                after += 1
            if body[after : after + 1] == b"=" and after + 1 < len(body) and body[after + 1] != 61:
                return True  # 61: `=`
        position = body.find(needle, position + 1)
    return False


def _class_of(function: Node) -> Node | None:
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    owner = parent.parent if parent is not None and parent.type == "block" else None
    return owner if owner is not None and owner.type == "class_definition" else None


def _first_unconditional_self_reference(
    ctx: FileContext, body: Node, name: str, in_class: bool, is_property: bool, is_setter: bool
) -> Node | None:
    for statement in body.named_children:
        if statement.type == "with_statement":
            inner = statement.child_by_field_name("body")
            if inner is not None:
                found = _first_unconditional_self_reference(
                    ctx, inner, name, in_class, is_property, is_setter
                )
                if found is not None:
                    return found
            return None
        if statement.type in _CONDITIONAL or statement.type == "decorated_definition":
            return None
        for node in walk(statement, _CONDITIONAL):
            if node.type in _CONDITIONAL or _is_short_circuited(node, statement):
                continue
            if _is_self_reference(ctx, node, name, in_class, is_property, is_setter):
                return node
        if statement.type in ("return_statement", "raise_statement"):
            return None
    return None


def _is_short_circuited(node: Node, statement: Node) -> bool:
    parent = node.parent
    while parent is not None and parent != statement:
        if parent.type in _CONDITIONAL:
            return True
        parent = parent.parent
    return False


def _is_self_reference(
    ctx: FileContext, node: Node, name: str, in_class: bool, is_property: bool, is_setter: bool
) -> bool:
    if is_property or is_setter:
        if node.type != "attribute" or ctx.text(node) != f"self.{name}":
            return False
        parent = node.parent
        assigned = (
            parent is not None
            and parent.type == "assignment"
            and parent.child_by_field_name("left") == node
        )
        return assigned if is_setter else not assigned
    if node.type != "call":
        return False
    function = node.child_by_field_name("function")
    if function is None:
        return False
    if in_class:
        return ctx.text(function) == f"self.{name}"
    return function.type == "identifier" and ctx.text(function) == name


# -- LB208 constant conditions ------------------------------------------------------------

_LITERALS = frozenset(
    {"integer", "float", "string", "true", "false", "none", "concatenated_string"}
)
_PURE = frozenset({"identifier", "attribute", "subscript"})
# A value compared with itself by these is a NaN test (false only for NaN), in every
# language; only `<`, `>` and identity comparisons with itself are constant.
NAN_TESTS = frozenset({"==", "===", "<=", ">="})


@c.CONSTANT_CONDITION.check(
    PYTHON,
    """
    ((comparison_operator . (_) @left . (_) @right .) @comparison (#eq? @left @right))
    (comparison_operator
        . [(integer) (float) (string) (true) (false) (none)]
        . [(integer) (float) (string) (true) (false) (none)] .) @comparison
    """,
)
def _constant_comparison(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    comparison = captures["comparison"][0]
    operands = [n for n in comparison.named_children if n.type != "comment"]
    operators = comparison.children_by_field_name("operators")
    if len(operands) != 2 or len(operators) != 1 or operators[0].type in ("!=", "in", "not"):
        return
    left, right = operands
    if left.type in _PURE and right.type in _PURE and ctx.text(left) == ctx.text(right):
        if operators[0].type in NAN_TESTS:
            return  # `x == x` is False only for NaN: a deliberate NaN test
        if "(" not in ctx.text(left):
            yield Hit.at(
                comparison,
                f"`{ctx.text(comparison)}` compares a value with itself: it is always the same. "
                "Compare with the intended variable.",
            )
    elif left.type in _LITERALS and right.type in _LITERALS:
        if string_value(left) is None and left.type in ("string", "concatenated_string"):
            return
        yield Hit.at(
            comparison,
            f"`{_describe(ctx, comparison)}` compares two literals: its result never changes.",
        )


@c.CONSTANT_CONDITION.check(
    PYTHON,
    """
    (if_statement condition: (_) @condition)
    (elif_clause condition: (_) @condition)
    (while_statement condition: (_) @condition)
    (conditional_expression . (_) . "if" . (_) @condition)
    """,
)
def _constant_test(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    condition = captures["condition"][0]
    kind = condition.type
    if kind in ("string", "concatenated_string") or (
        kind in ("list", "tuple", "dictionary", "set") and condition.named_child_count > 0
    ):
        yield Hit.at(
            condition,
            f"The condition `{_describe(ctx, condition)}` is a constant that is always true: "
            "test a variable instead.",
        )


@c.CONSTANT_CONDITION.check(PYTHON, "(assert_statement . (tuple) @tuple) @assert")
def _assert_tuple(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    statement, tuple_node = captures["assert"][0], captures["tuple"][0]
    if tuple_node.named_child_count == 0 or tuple_node != statement.named_children[0]:
        return
    fix = None
    if tuple_node.named_child_count <= 2:
        inner = ", ".join(ctx.text(n) for n in tuple_node.named_children)
        fix = Fix(
            "Assert the condition, with the message", (replace_node(tuple_node, inner),), safe=False
        )
    yield Hit.at(
        tuple_node,
        "This assert tests a non-empty tuple, which is always true: write `assert cond, msg` "
        "without parentheses.",
        fix,
    )


# -- LB209 suspicious range ---------------------------------------------------------------


@c.SUSPICIOUS_RANGE.check(PYTHON, "")
def _suspicious_range(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, _name in _calls_named(ctx, frozenset({"range"})):
        arguments = call.child_by_field_name("arguments")
        args = [a for a in arguments.named_children if a.type != "comment"] if arguments else []
        if len(args) == 1:
            yield from _range_overrun(ctx, call, args[0])
        elif len(args) == 2:
            start, stop = args
            start_value = _int(ctx, start)
            stop_value = _int(ctx, stop)
            counts_down = (
                start_value is not None and stop_value is not None and start_value > stop_value
            ) or (_is_len(ctx, start) and stop_value in (0, -1))
            if counts_down:
                yield Hit.at(
                    call,
                    f"`{ctx.text(call)}` is empty: it counts down without a negative step. Add "
                    "`, -1` as the step.",
                    Fix("Add step -1", (Edit(stop.end_byte, stop.end_byte, ", -1"),), safe=False),
                )


def _int(ctx: FileContext, node: Node) -> int | None:
    text = ctx.text(node).replace("_", "")
    if node.type == "integer" or (node.type == "unary_operator" and text.startswith("-")):
        try:
            return int(text, 0)
        except ValueError:
            return None
    return None


def _is_len(ctx: FileContext, node: Node) -> bool:
    if node.type == "binary_operator" and ctx.text(node.child_by_field_name("operator")) == "-":
        node = node.child_by_field_name("left") or node
    return node.type == "call" and ctx.text(node.child_by_field_name("function")) == "len"


def _range_overrun(ctx: FileContext, call: Node, bound: Node) -> Iterator[Hit]:
    if bound.type != "binary_operator" or ctx.text(bound.child_by_field_name("operator")) != "+":
        return
    left, right = bound.child_by_field_name("left"), bound.child_by_field_name("right")
    if left is None or right is None or ctx.text(right) != "1" or not _is_len(ctx, left):
        return
    sequence = positional(left, 0)
    loop = call.parent
    if sequence is None or loop is None or loop.type != "for_statement":
        return
    variable = ctx.text(loop.child_by_field_name("left"))
    body = ctx.text(loop.child_by_field_name("body"))
    if re.search(rf"{re.escape(ctx.text(sequence))}\[\s*{re.escape(variable)}\s*\]", body):
        yield Hit.at(
            bound,
            f"`{ctx.text(bound)}` goes one past the end, so `{ctx.text(sequence)}[{variable}]` "
            "raises "
            f"IndexError on the last iteration: use `{ctx.text(left)}`.",
            Fix(f"Use {ctx.text(left)}", (replace_node(bound, ctx.text(left)),), safe=False),
        )


# -- LB210 unclosed resources -------------------------------------------------------------

_OPENERS = frozenset(
    {"open", "io.open", "codecs.open", "socket.socket", "socket.create_connection",
     "urllib.request.urlopen", "gzip.open", "bz2.open", "lzma.open", "tarfile.open",
     "zipfile.ZipFile"}
)  # fmt: skip
_MANAGERS = frozenset(
    {"closing", "enter_context", "push", "callback", "ExitStack", "append", "add"}
)


@c.UNCLOSED_RESOURCE.check(PYTHON, "")
def _unclosed(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, name in _calls_named(ctx, _OPENERS):
        if _is_managed(ctx, call):
            continue
        label = _last(name) if name != "open" else "open"
        yield Hit.at(
            call,
            f"The {label}() handle is never closed: use `with {_last(name)}(...) as f:` so it is "
            "closed even when an exception is raised.",
        )


def _is_managed(ctx: FileContext, call: Node) -> bool:
    parent = call.parent
    if parent is None:
        return True
    kind = parent.type
    if kind in ("with_item", "as_pattern", "return_statement", "yield", "lambda", "await"):
        return True
    if kind == "argument_list":
        outer = parent.parent
        function = outer.child_by_field_name("function") if outer is not None else None
        last = ctx.text(function).rsplit(".", 1)[-1] if function is not None else ""
        return last in _MANAGERS or last.startswith("_") or last[:1].isupper()
    if kind == "attribute":
        method = ctx.text(parent.child_by_field_name("attribute"))
        return method in ("__enter__", "close", "fileno", "detach")
    if kind == "assignment":
        target = parent.child_by_field_name("left")
        if target is None or target.type != "identifier":
            return True  # stored on an object or unpacked: its owner manages it
        variable = re.escape(ctx.text(target))
        scope = ctx.text(ctx.scope_of(call))
        # Ownership passes, as when the call is an argument directly, to a wrapper that
        # is given the handle (a class or a private helper): `Wrapper(handle)`.
        if re.search(rf"(?:^|[^\w])_?[A-Z_]\w*\([^)\n]*\b{variable}\b", scope, re.MULTILINE):
            return True
        return bool(
            re.search(
                rf"\b{variable}\.close\(|\bwith\s+[^\n]*\b{variable}\b|\b(return|yield)\b[^\n]*\b{variable}\b"
                rf"|(closing|enter_context|callback|push|append|add|register)\(\s*{variable}\b"
                rf"|\bself\.[\w.]+\([^)\n]*\b{variable}\b|\bglobal\b[^\n]*\b{variable}\b"
                rf"|=\s*{variable}\s*$|\bself\.\w+\s*=\s*{variable}\b",
                scope,
                re.MULTILINE,
            )
        )
    return kind not in ("expression_statement",) and kind != "call"


# -- LB212 missing await ------------------------------------------------------------------

_COROUTINES = frozenset({"asyncio.sleep", "asyncio.wait_for", "asyncio.gather", "asyncio.wait"})


def _async_functions(ctx: FileContext) -> tuple[set[str], set[str]]:
    """(names defined only with `async def`, names also defined with plain `def`)."""

    def collect() -> tuple[set[str], set[str]]:
        async_names, sync_names = pyflow.defined_functions(ctx)
        return set(async_names - sync_names), set(sync_names)

    return ctx.memo("py.async", collect)


@file_fact("python")
def _python_file_facts(ctx: FileContext) -> tuple[object, ...]:
    imported = tuple(sorted(pyflow.imports(ctx).items()))
    async_names, _ = _async_functions(ctx)  # only async-and-never-sync names matter
    return (
        imported,
        frozenset(async_names),
        pyflow.reraising_managers(ctx),
        pyflow.no_return_functions(ctx),
    )


def _combine_python_facts(
    parts: list[pyflow.StatementFacts],
) -> tuple[tuple[object, ...], dict[str, object]]:
    imported, async_names, sync_names, no_return, reraising = pyflow.combine_facts(parts)
    # What `_python_file_facts` (Python's one file fact) returns, as `engine._interface` has it.
    interface = ((tuple(sorted(imported.items())), frozenset(async_names), reraising, no_return),)
    memo = {  # under the keys `imports`, `_async_functions`... memoise them
        "py.imports": imported,
        "py.async": (async_names, sync_names),
        "py.no-return": no_return,
        "py.reraising": reraising,
    }
    return interface, memo


FACTS_BY_STATEMENT["python"] = FactsByStatement(pyflow.statement_facts, _combine_python_facts)


# A finding needs an `async def` around the call: files without `async` are not searched.
@c.MISSING_AWAIT.check(
    PYTHON, "(expression_statement . (call function: (_) @function) @call .)", needs=b"async"
)
def _missing_await(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    call, function = captures["call"][0], captures["function"][0]
    async_names, _ = _async_functions(ctx)
    if function.type == "identifier":
        text = ctx.text(function)
        is_coroutine = (text in async_names and text not in pyflow.imports(ctx)) or (
            text in ("sleep", "wait_for", "gather", "wait")
            and qualified_name(ctx, function) in _COROUTINES
        )
    elif function.type == "attribute":
        method = ctx.text(function.child_by_field_name("attribute"))
        # The holder's text only for an async method's name (most calls have none).
        is_coroutine = (
            method in async_names
            and ctx.text(function.child_by_field_name("object")) in ("self", "cls")
        ) or (
            method in ("sleep", "wait_for", "gather", "wait")
            and qualified_name(ctx, function) in _COROUTINES
        )
    else:
        is_coroutine = False
    if not is_coroutine:
        return
    enclosing = ctx.enclosing_function(call)  # walks parents: only for the few candidates
    if enclosing is None or enclosing.type != "function_definition":
        return
    if enclosing.children[0].type != "async":
        return
    yield Hit.at(
        call,
        f"`{_describe(ctx, call)}` creates a coroutine that is never awaited, so it never "
        "runs: add `await` (or schedule it with asyncio.create_task).",
        Fix("Add await", (Edit(call.start_byte, call.start_byte, "await "),), safe=False),
    )


# -- LP301 / LP302 / LP303 performance ----------------------------------------------------

_LOOPS = frozenset(
    {"for_statement", "while_statement", "list_comprehension", "set_comprehension",
     "dictionary_comprehension", "generator_expression"}
)  # fmt: skip
_MUTATORS = ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse")


def _loop_around(node: Node, stop: Node | None) -> Node | None:
    parent = node.parent
    while parent is not None and parent != stop:
        if parent.type in _LOOPS:
            return parent
        if parent.type in ("function_definition", "lambda", "class_definition"):
            return None
        parent = parent.parent
    return None


@c.LIST_MEMBERSHIP.check(
    PYTHON, '(comparison_operator (_) ["in" "not"] (identifier) @list .) @comparison'
)
def _list_membership(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    comparison, name_node = captures["comparison"][0], captures["list"][0]
    operators = [o.type for o in comparison.children_by_field_name("operators")]
    if operators not in (["in"], ["not", "in"], ["not in"]):
        return
    loop = _loop_around(comparison, None)
    if loop is None:
        return
    name = ctx.text(name_node)
    scope = pyflow.scope_node(ctx, comparison)
    bindings = pyflow.scope_facts(ctx, scope).bindings.get(name, [])
    if (
        len(bindings) != 1
        or bindings[0].value is None
        or bindings[0].node.start_byte > loop.start_byte
    ):
        return
    value = bindings[0].value
    is_list = value.type in ("list", "list_comprehension") or (
        value.type == "call"
        and ctx.text(value.child_by_field_name("function")) in ("list", "sorted")
    )
    if not is_list or (value.type == "list" and value.named_child_count < 4):
        return
    scope_text = ctx.text(scope)
    if re.search(
        rf"\b{re.escape(name)}\s*(\.({'|'.join(_MUTATORS)})\(|\[[^\]]*\]\s*=|\+=)", scope_text
    ):
        return
    fix = None
    uses = len(re.findall(rf"\b{re.escape(name)}\b", scope_text))
    memberships = len(re.findall(rf"(?<!for )\bin\s+{re.escape(name)}\b", scope_text))
    for_loops = len(re.findall(rf"\bfor\b[^\n]*\bin\s+{re.escape(name)}\b", scope_text))
    if for_loops or uses != memberships + 1:
        return  # also used for its order or contents: a set would not do
    literal_items = value.type == "list" and all(
        n.type in ("string", "integer", "float", "true", "false", "none")
        for n in value.named_children
    )
    if literal_items:
        text = ctx.text(value)
        fix = Fix(
            f"Make `{name}` a set", (replace_node(value, "{" + text[1:-1] + "}"),), safe=False
        )
    yield Hit.at(
        name_node,
        f"`{name}` is a list searched on every iteration: make it a set (built once, O(1) "
        "lookups).",
        fix,
    )


@c.STRING_CONCAT_LOOP.check(
    PYTHON, '(augmented_assignment left: (identifier) @name operator: "+=") @augment'
)
def _string_concat(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    augment, name_node = captures["augment"][0], captures["name"][0]
    loop = _loop_around(augment, None)
    if loop is None or loop.type not in ("for_statement", "while_statement"):
        return
    name = ctx.text(name_node)
    scope = pyflow.scope_node(ctx, augment)
    plain = [b for b in pyflow.scope_facts(ctx, scope).bindings.get(name, []) if not b.augmented]
    if len(plain) != 1 or plain[0].value is None or plain[0].node.start_byte > loop.start_byte:
        return
    if plain[0].value.type not in ("string", "concatenated_string"):
        return
    pattern = rf"\b{re.escape(name)}\s*\+="
    if re.search(
        pattern, ctx.source[loop.start_byte : augment.start_byte].decode("utf-8", "replace")
    ):
        return  # one finding per accumulator and loop, at its first `+=`
    yield Hit.at(
        augment,
        f"`{name}` grows by `+=` on every iteration, copying the string each time: append the "
        "pieces to a list and `''.join()` it after the loop.",
    )


@c.REGEX_IN_LOOP.check(PYTHON, "")
def _regex_in_loop(ctx: FileContext, _: dict) -> Iterator[Hit]:
    for call, _name in _calls_named(ctx, frozenset({"re.compile", "regex.compile"})):
        pattern = positional(call, 0)
        if pattern is None or string_value(pattern) is None:
            continue
        loop = _loop_around(call, None)
        if loop is not None and loop.type in ("for_statement", "while_statement"):
            yield Hit.at(
                call,
                "This constant regex is compiled on every iteration: compile it once before the "
                "loop.",
            )
