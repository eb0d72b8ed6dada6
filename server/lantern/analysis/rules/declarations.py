"""Declarations of every rule: code, category, default severity and documentation.

Checks live in the per-language modules; this module only says what each rule means,
so docs/rules.md and SARIF rule metadata come from one place.
"""

from __future__ import annotations

from lantern.analysis.findings import Severity
from lantern.analysis.rules.model import Category, Example, Rule

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION
SEC, BUG, PERF, CPLX = Category.SECURITY, Category.BUG, Category.PERFORMANCE, Category.COMPLEXITY

CODE_INJECTION = Rule(
    "LS101",
    "code-injection",
    SEC,
    W,
    "Code built from data is evaluated (eval, exec, compile, new Function, string timers).",
    "Evaluating text that is not a literal lets whoever controls that text run code in "
    "your process. Parse data with a parser (`ast.literal_eval`, `json.loads`, "
    "`JSON.parse`) or dispatch through a table of allowed operations.",
    (
        Example("python", "value = eval(request.args['expr'])", "value = ast.literal_eval(text)"),
        Example(
            "javascript", "setTimeout('run(' + id + ')', 10);", "setTimeout(() => run(id), 10);"
        ),
    ),
    fix="Python: `eval(x)` becomes `ast.literal_eval(x)` (and `import ast` is added).",
    fix_safety="unsafe",
    not_reported=(
        "`compile()` alone: it runs nothing; `exec(compile(text, ...))` is one finding, at the "
        "`exec`.",
        "Running a file's whole contents (`exec(f.read())`, `exec(compile(path.read_text(), "
        "...))`): that is loading a script, as runpy does.",
        "Literal code, and text built only from literals.",
    ),
)
COMMAND_INJECTION = Rule(
    "LS102",
    "command-injection",
    SEC,
    W,
    "A shell command is built from data (shell=True, os.system, child_process.exec, sh -c).",
    "A shell interprets `;`, `|`, `$()` and quotes in the command text, so any data spliced "
    "into it can run other commands. Pass the program and its arguments as a list, "
    "without a shell (`subprocess.run([...])`, `execFile`, `exec.Command(prog, args...)`).",
    (
        Example(
            "python",
            'subprocess.run(f"tar xf {name}", shell=True)',
            'subprocess.run(["tar", "xf", name])',
        ),
        Example("go", 'exec.Command("sh", "-c", "ls "+dir)', 'exec.Command("ls", dir)'),
    ),
    not_reported=(
        "`pty.spawn(argv)` and the `os.exec*`/`os.spawn*` family with an argument list: no shell "
        "is involved (a `sh -c` list still is reported).",
        "Commands built only from literals and constants.",
    ),
)
SQL_INJECTION = Rule(
    "LS103",
    "sql-injection",
    SEC,
    W,
    "SQL text is built from data and executed instead of passing parameters.",
    "Formatting values into SQL (f-strings, `%`, `.format`, `+`, `fmt.Sprintf`, template "
    "strings) lets a value change the statement. Keep the SQL constant with placeholders "
    "(`?`, `%s`, `$1`) and pass the values separately; placeholder lists built with "
    "`', '.join('?' * n)` are fine.",
    (
        Example(
            "python",
            "cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")",
            'cur.execute("SELECT * FROM users WHERE name = %s", (name,))',
        ),
        Example(
            "javascript",
            "db.query(`SELECT * FROM users WHERE id = ${id}`);",
            "db.query('SELECT * FROM users WHERE id = $1', [id]);",
        ),
    ),
    not_reported=(
        "Identifiers quoted by a quoting function (`quote_name(table)`, "
        "`connection.ops.quote_name`, `quote_ident`, `escapeId`, `pq.QuoteIdentifier`): an "
        "identifier cannot be a placeholder.",
        "Constants of the code itself: UPPER_CASE names and attributes, and `self.x` set to a "
        "literal in the class body.",
        "Numbers (`int()`, `len()`), and placeholder lists such as `', '.join('?' * n)`.",
    ),
)
HARDCODED_SECRET = Rule(
    "LS104",
    "hardcoded-secret",
    SEC,
    E,
    "A credential (API key, token, password, private key) is written in the source.",
    "Secrets in source end up in version control, logs and every copy of the code. Lantern "
    "recognises them by shape (known key prefixes such as `AKIA`, `ghp_`, `sk-`, `xox`, "
    "private-key blocks, credentials in URLs) and by high-entropy values given to "
    'secret-like names; names that merely *name* a field (`PASSWORD_FIELD = "password"`), '
    "placeholders and environment lookups are not reported. Read secrets from the "
    "environment or a secret manager.",
    (
        Example(
            "python",
            'API_TOKEN = "ghp_4f9aZ2kQ8mXbW1cR7tYhL0pN3sVdE6uJ5gKq"',
            'API_TOKEN = os.environ["API_TOKEN"]',
        ),
    ),
    fix='Python: the literal becomes `os.environ["NAME"]`; JavaScript: `process.env.NAME`.',
    fix_safety="unsafe",
    not_reported=(
        "Values that name a field, key or header rather than hold a secret: "
        '`SESSION_KEY = "_auth_user_id"`, `{allPass: "overEvery"}`, `"X-Connection-Token"`.',
        "Docstrings (their example keys are examples), regular expressions, placeholders, "
        "environment lookups.",
        "URLs whose password is a placeholder or spells `password`/`secret`.",
    ),
)
UNSAFE_DESERIALIZATION = Rule(
    "LS105",
    "unsafe-deserialization",
    SEC,
    W,
    "pickle/marshal/shelve/dill/joblib/torch.load on data that is not a literal.",
    "Unpickling runs code chosen by whoever wrote the bytes. Only load pickles you produced "
    "and trust; for data from elsewhere use JSON or another data-only format.",
    (Example("python", "obj = pickle.loads(request.data)", "obj = json.loads(request.data)"),),
    not_reported=(
        "Bytes this program pickled itself and kept in memory: `pickle.loads(pickle.dumps(x))`, "
        "and a `self.x` that every assignment in the class sets from `pickle.dumps`.",
    ),
)
UNSAFE_YAML = Rule(
    "LS106",
    "unsafe-yaml-load",
    SEC,
    W,
    "yaml.load/load_all without a safe Loader (or with Loader/UnsafeLoader/FullLoader).",
    "PyYAML's full and unsafe loaders construct arbitrary Python objects from tags in the "
    "document. Use `yaml.safe_load` or `Loader=yaml.SafeLoader`.",
    (Example("python", "config = yaml.load(text)", "config = yaml.safe_load(text)"),),
    fix="`yaml.load(x)` becomes `yaml.safe_load(x)` (safe when no Loader was given, unsafe "
    "when an explicit unsafe Loader is replaced).",
    fix_safety="mixed",
)
WEAK_HASH = Rule(
    "LS107",
    "weak-password-hash",
    SEC,
    W,
    "MD5 or SHA-1 is used to hash passwords, tokens or other secrets.",
    "MD5 and SHA-1 are fast and broken: stored password hashes made with them are cracked "
    "in bulk. Use a password hash (`hashlib.scrypt`, bcrypt, argon2, PBKDF2) for "
    "passwords and SHA-256 or better for other secrets. MD5/SHA-1 for cache keys, ETags "
    "or `usedforsecurity=False` are not reported.",
    (
        Example(
            "python",
            "digest = hashlib.md5(password.encode()).hexdigest()",
            "digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)",
        ),
    ),
    not_reported=(
        "MD5/SHA-1 for cache keys, ETags or checksums, or with `usedforsecurity=False`; the "
        "statement must speak of passwords, tokens or salts.",
    ),
)
TLS_DISABLED = Rule(
    "LS108",
    "tls-verification-disabled",
    SEC,
    W,
    "TLS certificate verification is turned off (verify=False, rejectUnauthorized: false, "
    "InsecureSkipVerify: true).",
    "Without verification anyone on the network path can impersonate the server and read "
    "or change the traffic. Fix the trust store instead (`verify='/path/ca.pem'`, "
    "`ca:` option, `RootCAs`).",
    (
        Example("python", "requests.get(url, verify=False)", "requests.get(url, verify=CA_BUNDLE)"),
        Example(
            "go",
            "tls.Config{InsecureSkipVerify: true}",
            "tls.Config{RootCAs: pool}",
        ),
    ),
    fix="Python: remove `verify=False`; JavaScript: `rejectUnauthorized: true`; "
    "Go: `InsecureSkipVerify: false`.",
    fix_safety="unsafe",
    not_reported=(
        "`check_hostname = False` on an object that also gets `verify_mode = CERT_NONE`: one "
        "finding per context object, on the `CERT_NONE` line.",
        "Go test files (`package x_test`, or importing `testing`): tests talk to their own "
        "self-signed servers.",
    ),
)
INSECURE_TEMPFILE = Rule(
    "LS109",
    "insecure-temp-file",
    SEC,
    W,
    "tempfile.mktemp returns a name another process can create first.",
    "Between `mktemp()` choosing a name and your code opening it, an attacker can create a "
    "file or symlink with that name. `mkstemp()` creates and opens the file atomically.",
    (Example("python", "path = tempfile.mktemp()", "fd, path = tempfile.mkstemp()"),),
    fix="`tempfile.mktemp(...)` becomes `tempfile.mkstemp(...)[1]`.",
    fix_safety="unsafe",
)
ASSERT_AUTH = Rule(
    "LS110",
    "assert-for-authorization",
    SEC,
    W,
    "An assert guards an authorisation check; asserts vanish under `python -O`.",
    "Assertions are removed when Python runs with optimisations, so the check silently "
    "disappears in production. Raise an exception explicitly. Asserts for invariants and "
    "in tests are not reported.",
    (
        Example(
            "python",
            "assert user.is_admin",
            "if not user.is_admin:\n    raise PermissionError('admin only')",
        ),
    ),
    fix="`assert cond` becomes `if not (cond): raise PermissionError(...)`.",
    fix_safety="unsafe",
    not_reported=(
        "An assert whose only hint is a name (`features.can_return_rows`, `role`): an "
        "authorisation assert must also ask about a principal (`request`, `user`, `session`...) or"
        " call an authentication API (`has_perm`, `check_password`...).",
        "Asserts in tests.",
    ),
)
XSS_SINK = Rule(
    "LS111",
    "xss-sink",
    SEC,
    W,
    "Data that is not a literal is written as HTML (innerHTML, outerHTML, "
    "insertAdjacentHTML, document.write, dangerouslySetInnerHTML).",
    "HTML sinks parse their input, so data containing markup runs script in the page. Use "
    "`textContent`, build elements with the DOM API, or sanitise with DOMPurify.",
    (
        Example(
            "javascript",
            "el.innerHTML = `<b>${name}</b>`;",
            "el.textContent = name;",
        ),
    ),
)
MUTABLE_DEFAULT = Rule(
    "LB201",
    "mutable-default-argument",
    BUG,
    W,
    "A list, dict or set default argument is shared between calls.",
    "Default values are evaluated once, when the function is defined; mutating one changes "
    "the default for every later call. Default to None and create the value inside.",
    (
        Example(
            "python",
            "def add(item, seen=[]):\n    seen.append(item)",
            "def add(item, seen=None):\n    if seen is None:\n        seen = []\n    "
            "seen.append(item)",
        ),
    ),
    fix="The default becomes `None` and a guard creating the value is added to the body.",
    fix_safety="unsafe",
)
BARE_EXCEPT = Rule(
    "LB202",
    "bare-except",
    BUG,
    W,
    "A bare `except:` also catches KeyboardInterrupt and SystemExit.",
    "`except:` traps Ctrl-C and `sys.exit()`, making programs hard to stop and hiding bugs. "
    "Catch `Exception` (or something narrower). Handlers that re-raise are not reported.",
    (
        Example(
            "python",
            "try:\n    run()\nexcept:\n    log()",
            "try:\n    run()\nexcept Exception:\n    log()",
        ),
    ),
    fix="`except:` becomes `except Exception:`.",
    fix_safety="unsafe",
    not_reported=(
        "Handlers that re-raise, directly (`raise`) or through a context manager that always "
        "re-raises (a `@contextmanager` whose code after `yield` ends in `raise`, SQLAlchemy's "
        "`safe_reraise`).",
    ),
)
SWALLOWED_EXCEPTION = Rule(
    "LB203",
    "swallowed-exception",
    BUG,
    W,
    "Every exception is caught and silently dropped (`except Exception: pass`).",
    "A broad handler that does nothing hides real failures. Catch the specific exception "
    "you expect, or at least log it. Narrow handlers (`except KeyError: pass`) are fine.",
    (
        Example(
            "python",
            "try:\n    save()\nexcept Exception:\n    pass",
            "try:\n    save()\nexcept OSError:\n    log.exception('save failed')",
        ),
    ),
    preview=True,
    not_reported=(
        "Narrow handlers (`except KeyError: pass`), and handlers in `__del__` (a finaliser must "
        "not raise).",
    ),
)
NONE_COMPARISON = Rule(
    "LB204",
    "none-comparison",
    BUG,
    INFO,
    "`== None` / `!= None` instead of `is None` / `is not None`.",
    "`==` calls `__eq__`, which objects may override (and NumPy arrays broadcast); identity "
    "is what is meant. Comparisons inside ORM filter expressions are not reported.",
    (Example("python", "if value == None:", "if value is None:"),),
    fix="`== None` becomes `is None`, `!= None` becomes `is not None`.",
    fix_safety="safe",
)
UNREACHABLE = Rule(
    "LB205",
    "unreachable-code",
    BUG,
    W,
    "Code after return, raise, throw, break or continue never runs.",
    "Statements after an unconditional jump in the same block are dead: usually a "
    "misplaced line or a forgotten condition.",
    (Example("python", "return total\nprint('done')", "print('done')\nreturn total"),),
    fix="The unreachable statements are removed.",
    fix_safety="unsafe",
    not_reported=(
        "A `yield` after `raise`/`return`: it makes the function a generator, so it is not dead "
        "code.",
    ),
)
USED_BEFORE_ASSIGNMENT = Rule(
    "LB206",
    "used-before-assignment",
    BUG,
    E,
    "A local variable is read before any assignment to it has run.",
    "Assigning a name anywhere in a function makes it local to the whole function, so reading "
    "it before the first assignment raises UnboundLocalError, even when a global of that name "
    "exists. Assign it first, or declare it `global`/`nonlocal` if the outer one was meant.",
    (
        Example(
            "python",
            "def report():\n    print(limit)\n    limit = load_limit()",
            "def report():\n    limit = load_limit()\n    print(limit)",
        ),
    ),
    not_reported=(
        "Reads after an assignment that only some paths make: that is LB214 (preview).",
        "Walrus targets read after the walrus in evaluation order (`x if (x := f()) else y`, a "
        "comprehension's `if` before its element); typed `*args: T`/`**kwargs: T`.",
        "Paths that end in `raise`, `assert False`, a re-raising context manager, "
        "`sys.exit()`/`self.fail()`, or a call to a function of the file annotated `NoReturn` or "
        "always raising.",
    ),
)
POSSIBLY_UNASSIGNED = Rule(
    "LB214",
    "possibly-unassigned",
    BUG,
    W,
    "A local variable is read after an assignment that only some paths make.",
    "If the branch or `try` body that assigns the variable did not run, reading it raises "
    "UnboundLocalError. On real code most such reads are guarded by a correlated condition "
    "the analysis cannot see (`if verbose: t = now()` ... `if verbose: print(t)`), so this "
    "rule is in preview.",
    (
        Example(
            "python",
            "if ok:\n    result = compute()\nreturn result",
            "result = None\nif ok:\n    result = compute()\nreturn result",
        ),
    ),
    preview=True,
    not_reported=(
        "Everything LB206 does not report; loop variables read after their loop (taken as set: the"
        " loop ran); reads under a condition that starts after the assignment (a correlated "
        "condition).",
    ),
)
INFINITE_RECURSION = Rule(
    "LB207",
    "infinite-recursion",
    BUG,
    E,
    "A function calls itself unconditionally, with no base case.",
    "A call to itself that every path reaches recurses until the stack overflows. This "
    "includes a property or getter that reads itself (`return self.name` inside `name`).",
    (
        Example(
            "python",
            "@property\ndef name(self):\n    return self.name",
            "@property\ndef name(self):\n    return self._name",
        ),
    ),
)
CONSTANT_CONDITION = Rule(
    "LB208",
    "constant-condition",
    BUG,
    W,
    'A condition that is always true or false (`x == x`, two literals, `if "text":`, '
    "`assert (x, msg)`).",
    "Such a condition is almost always a typo: a compared variable was meant, or a tuple "
    "was passed to assert. `while True`, `if 0`/`if False` (deliberate switches) and "
    "`x != x` (NaN checks) are not reported.",
    (
        Example(
            "python", "assert (x > 0, 'x must be positive')", "assert x > 0, 'x must be positive'"
        ),
    ),
    fix="`assert (cond, msg)` becomes `assert cond, msg` (unsafe: the assert, which never "
    "failed, starts checking).",
    fix_safety="unsafe",
    not_reported=(
        "`x == x`, `x === x`, `x <= x`, `x >= x`, `x != x`: NaN tests in every language (only `<`,"
        " `>` and identity are constant).",
    ),
)
SUSPICIOUS_RANGE = Rule(
    "LB209",
    "suspicious-range",
    BUG,
    W,
    "A range that overruns its sequence (`range(len(x) + 1)` indexing x) or is empty "
    "(counting down without a negative step).",
    "`x[len(x)]` raises IndexError; `range(10, 0)` produces nothing. Use `range(len(x))` "
    "or `range(start, stop, -1)`.",
    (
        Example(
            "python",
            "for i in range(len(xs) + 1):\n    print(xs[i])",
            "for i in range(len(xs)):\n    print(xs[i])",
        ),
    ),
    fix="`range(len(x) + 1)` becomes `range(len(x))`; `range(a, b)` counting down gets `, -1`.",
    fix_safety="unsafe",
)
UNCLOSED_RESOURCE = Rule(
    "LB210",
    "unclosed-resource",
    BUG,
    W,
    "A file or socket is opened without `with` (or defer Close) and never closed.",
    "An unclosed handle leaks until the garbage collector finds it (never, on some "
    "interpreters), and written data may not reach the disk. Use `with open(...) as f:` "
    "in Python and `defer f.Close()` in Go.",
    (Example("python", "data = open(path).read()", "with open(path) as f:\n    data = f.read()"),),
    not_reported=(
        "Handles returned, stored on an object, closed, used in `with`, or handed to a wrapper "
        "that owns them (`Wrapper(handle)`, directly or through a variable).",
    ),
)
LOOSE_EQUALITY = Rule(
    "LB211",
    "loose-equality",
    BUG,
    INFO,
    "JavaScript `==`/`!=` coerce types (`'' == 0` is true).",
    "Use `===`/`!==`. Comparisons with `null` (which also match `undefined`) and `typeof` "
    "checks are not reported.",
    (Example("javascript", "if (count == '0') {}", "if (count === 0) {}"),),
    fix="`==` becomes `===`, `!=` becomes `!==`.",
    fix_safety="unsafe",
    preview=True,
    not_reported=(
        "`typeof` checks, directly or through a variable holding `typeof x`; comparisons with "
        "`null`/`undefined`.",
    ),
)
MISSING_AWAIT = Rule(
    "LB212",
    "missing-await",
    BUG,
    W,
    "An async function's result (a promise or coroutine) is dropped without await.",
    "Inside an async function, calling another async function without `await` starts work "
    "whose result and errors are lost (Python does not even run the coroutine). Await it, "
    "or hand it to `asyncio.create_task`/`Promise.all` explicitly.",
    (
        Example(
            "python",
            "async def save(db):\n    db_commit(db)",
            "async def save(db):\n    await db_commit(db)",
        ),
    ),
    fix="`await ` is inserted before the call.",
    fix_safety="unsafe",
)
IGNORED_ERROR = Rule(
    "LB213",
    "ignored-error",
    BUG,
    W,
    "A Go call whose declaration returns an error is used as a statement, dropping the error.",
    "An ignored error turns a failure into silent data loss. Check it, return it, or wrap "
    "it. The callee is resolved to its declaration (this file's functions and methods, "
    "parameters of function type, the standard library's signatures), never matched by name. "
    "In preview: in mature Go code most dropped errors are deliberate.",
    (
        Example(
            "go",
            "os.MkdirAll(dir, 0o755)",
            "if err := os.MkdirAll(dir, 0o755); err != nil {\n\treturn err\n}",
        ),
    ),
    preview=True,
    not_reported=(
        "Callees that cannot be resolved to a declaration (never matched by name): a parameter of "
        "function type is judged by its type, a method by the receiver's type.",
        "Calls that cannot fail: writes to `bytes.Buffer`, `strings.Builder`, `bufio.Writer` (its "
        "error is kept for `Flush`) and any `hash.Hash`; `io.WriteString`/`fmt.Fprint*` into "
        "those.",
        "Methods that return nothing (`sync.WaitGroup.Wait`, `base64.Encoding.Encode`).",
        "Explicit discards (`_ = f()`), `Close`/`Flush`, `os.Remove*`, `os.Setenv`, writes to "
        "`os.Stdout`/`os.Stderr` (golangci-lint's default exclusions), draining into `io.Discard`.",
        "Writers that keep their first error in a field the caller reads afterwards; test files.",
    ),
)
LIST_MEMBERSHIP = Rule(
    "LP301",
    "list-membership-in-loop",
    PERF,
    INFO,
    "`x in some_list` inside a loop, where the list never changes: a set is O(1).",
    "Each membership test scans the list. When the list is built once before the loop and "
    "only tested for membership, make it a set.",
    (
        Example(
            "python",
            "allowed = ['a', 'b', 'c']\nfor x in items:\n    if x in allowed: ...",
            "allowed = {'a', 'b', 'c'}\nfor x in items:\n    if x in allowed: ...",
        ),
    ),
    fix="The list literal becomes a set literal (offered when the name is only used in "
    "membership tests; unsafe: an unhashable probe raises TypeError with a set).",
    fix_safety="unsafe",
    not_reported=(
        "Lists also used for their order or contents (iterated, indexed, passed on): a set would "
        "not do.",
    ),
)
STRING_CONCAT_LOOP = Rule(
    "LP302",
    "string-concat-in-loop",
    PERF,
    INFO,
    "A string grows with `+=` inside a loop: quadratic time.",
    "Each `+=` copies the whole string. Collect the pieces in a list and `''.join` them "
    "(Python) or use `strings.Builder` (Go).",
    (
        Example(
            "python",
            "out = ''\nfor line in lines:\n    out += line",
            "out = ''.join(lines)",
        ),
    ),
    not_reported=(
        "A second `+=` of the same accumulator in the same loop: one finding per accumulator and "
        "loop.",
    ),
)
REGEX_IN_LOOP = Rule(
    "LP303",
    "regex-compile-in-loop",
    PERF,
    INFO,
    "A constant regular expression is compiled on every loop iteration.",
    "Compile it once, before the loop (or at module level).",
    (
        Example(
            "go",
            "for _, s := range xs {\n\tre := regexp.MustCompile(`\\d+`)\n}",
            "re := regexp.MustCompile(`\\d+`)\nfor _, s := range xs {\n}",
        ),
    ),
)
CYCLOMATIC = Rule(
    "LC401",
    "cyclomatic-complexity",
    CPLX,
    INFO,
    "A function has more independent paths than `rules.complexity_threshold` (default 10).",
    "Many branches make a function hard to test and to change. Split it.",
    (Example("python", "def f(x):  # 15 if/elif branches", "def f(x):  # a table lookup"),),
    default_enabled=False,
    options="`rules.complexity_threshold` (default 10). Off by default: enable with "
    '`select = ["LC"]`.',
)
DEEP_NESTING = Rule(
    "LC402",
    "deep-nesting",
    CPLX,
    INFO,
    "Blocks nest deeper than `rules.max_nesting_depth` (default 4).",
    "Deeply nested code is hard to follow. Return early or extract functions.",
    (
        Example(
            "python",
            "if a:\n    for x in y:\n        if b:\n            while c:\n                if d: "
            "...",
            "if not a:\n    return\n...",
        ),
    ),
    default_enabled=False,
    options='`rules.max_nesting_depth` (default 4). Off by default: enable with `select = ["LC"]`.',
)

RULES: tuple[Rule, ...] = (
    CODE_INJECTION,
    COMMAND_INJECTION,
    SQL_INJECTION,
    HARDCODED_SECRET,
    UNSAFE_DESERIALIZATION,
    UNSAFE_YAML,
    WEAK_HASH,
    TLS_DISABLED,
    INSECURE_TEMPFILE,
    ASSERT_AUTH,
    XSS_SINK,
    MUTABLE_DEFAULT,
    BARE_EXCEPT,
    SWALLOWED_EXCEPTION,
    NONE_COMPARISON,
    UNREACHABLE,
    USED_BEFORE_ASSIGNMENT,
    POSSIBLY_UNASSIGNED,
    INFINITE_RECURSION,
    CONSTANT_CONDITION,
    SUSPICIOUS_RANGE,
    UNCLOSED_RESOURCE,
    LOOSE_EQUALITY,
    MISSING_AWAIT,
    IGNORED_ERROR,
    LIST_MEMBERSHIP,
    STRING_CONCAT_LOOP,
    REGEX_IN_LOOP,
    CYCLOMATIC,
    DEEP_NESTING,
)
