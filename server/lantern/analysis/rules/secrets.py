"""LS104: hard-coded secrets in any language, recognised by the value before the name.

Two signals: the value's shape (vendor key prefixes, private-key blocks, credentials in
URLs, JWTs), reported wherever the string appears; and a value that looks like a real
credential (long enough, varied enough, not a placeholder, not itself a field name)
given to a secret-like name. A name alone never makes a finding:
`PASSWORD_FIELD = "password"` and `os.environ["API_TOKEN"]` stay quiet, and so do
values that name a field or key (`"_auth_user_id"`, `"overEvery"`, `"X-Api-Token"`),
tables of such names, regular expressions, and docstrings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import unquote

from tree_sitter import Node

from lantern.analysis.context import FileContext, string_value
from lantern.analysis.fixes import python_import, replace_node
from lantern.analysis.rules.declarations import HARDCODED_SECRET
from lantern.analysis.rules.model import GO, JAVASCRIPT, PYTHON, Fix, Hit

SECURITY_CONTEXT = re.compile(
    r"(?i)(passw|passwd|pass_?phrase|\bpw\b|pwd|secret|credential|token|salt|auth(?!or)|"
    r"login|sign_?in|api_?key|otp\b|\bpin\b)"
)


def speaks_of_secrets(
    ctx: FileContext, node: Node, statement_parents: tuple[str, ...], function: Node | None
) -> bool:
    """Does the statement holding `node`, or the name of `function` around it, speak of
    passwords, tokens or other secrets? `statement_parents`: what a statement sits in."""
    statement = node
    while statement.parent is not None and statement.parent.type not in statement_parents:
        statement = statement.parent
    name = ctx.text(function.child_by_field_name("name")) if function is not None else ""
    return bool(SECURITY_CONTEXT.search(ctx.text(statement)) or SECURITY_CONTEXT.search(name))


KNOWN_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("AWS access key ID", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{50,}"),
        ("API key (sk-)", r"\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_\-]{20,}"),
        ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("Slack webhook", r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/\w+"),
        ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("Stripe live key", r"\b(?:sk|rk)_live_[0-9a-zA-Z]{20,}"),
        ("GitLab token", r"\bglpat-[0-9A-Za-z_\-]{20,}"),
        ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("SendGrid key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b"),
        ("private key", r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        (
            "JSON Web Token",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        ),
        ("Azure storage key", r"AccountKey=[A-Za-z0-9+/=]{40,}"),
        (
            "password in a URL",
            r"\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:(?P<password>[^\s@/]{3,})@[\w.\-]+",
        ),
    )
)
# Substrings every known shape contains: a string with spaces and none of them is prose.
_SHAPE_MARKERS = (
    "PRIVATE KEY", "://", "eyJ", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_",
    "ghs_", "ghr_", "github_pat_", "sk-", "_live_", "xox", "AIza", "glpat-", "npm_", "SG.",
    "AccountKey=",
)  # fmt: skip
_ANY_KNOWN_SHAPE = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in KNOWN_SHAPES))
# A string without a marker has no known shape: the big expression above is not tried.
_ANY_MARKER = re.compile("|".join(re.escape(marker) for marker in _SHAPE_MARKERS))
# Secret-like names, compared with separators removed and lower-cased.
_PASSWORD_NAMES = re.compile(r"(password|passwd|passphrase|pwd|pass$|^pw$|userpass)")
_TOKEN_NAMES = re.compile(
    r"(secret|token|apikey|accesskey|privatekey|authkey|credential|signingkey|"
    r"encryptionkey|masterkey|sessionkey|webhookkey|clientkey|bearer|auth$)"
)
_KEY_NAMES = re.compile(r"key$")
# Names that describe a secret rather than hold one: a field name, a label, a path...
_DESCRIBING = re.compile(
    r"(field|name|names|column|label|prompt|env|envvar|var|header|param|url|uri|path|file|"
    r"dir|prefix|suffix|pattern|regex|type|kind|id|len|length|min|max|policy|hint|message|"
    r"msg|error|placeholder|mask|hash|hashed|endpoint|scope|format|template|selector|"
    r"locator|attr|attribute|option|flag|setting|input|key_name|keyname|expiry|expires|ttl|"
    r"timeout|count|algorithm|alg|method|mode|reset|changed|confirm|required|rules)$"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(x+|\*+|\.+|-+|_+|#+|0+|<[^>]*>|\{[^}]*\}|\$\{[^}]*\}|\$\(.*\)|%\(?\w*\)?s|%s|"
    r"\$[A-Z_][A-Z0-9_]*|changeme|change[-_ ]?me|your.*|my.*|example.*|dummy.*|test.*|"
    r"fake.*|sample.*|placeholder.*|none|null|nil|undefined|todo|tbd|redacted|secret|"
    r"password|passwd|token|foo|bar|baz|foobar|\.{3}|…|insert.*here|replace.*|enter.*|"
    r"not[-_ ]?set|unset|default|empty|missing|required|n/?a)$"
)
_NAMING_WORDS = re.compile(
    r"pass|pwd|secret|token|key|user|name|field|mail|login|auth|credential|id$"
)
# A value that names a field, key or setting (`"_auth_user_id"`, `"csrftoken"`, `"X_API"`):
# lower-case words joined by separators, possibly private (leading underscores).
_FIELD_LIKE = re.compile(
    r"^_*[a-z][a-z0-9]*(?:[_\-.:]+[a-z0-9]+)*_*$|^_*[A-Z][A-Z0-9_]+$"
    r"|^[a-z]+(?:[A-Z][a-z0-9]+)+$"  # camelCase: `overEvery`
    r"|^[A-Z][a-z0-9]*(?:-[A-Z]?[a-z0-9]+)+$"  # a header name: `X-Fake-Connection-Token`
)
# Regular-expression syntax: the value is a pattern, not a credential.
_REGEX_SYNTAX = re.compile(r"\(\?[:=!<P]|\[\^?[^\]]*\][*+?]|\\[dDwWsSbB]|[*+]\?")
_STRING_QUERY = {
    "javascript": "[(string) (template_string)] @string",
    "go": "[(interpreted_string_literal) (raw_string_literal)] @string",
}
# Python strings are a quarter of a file's matches, and nearly all of them can have no
# finding: one needs a shape marker in its text or a name to be given to (`holder_name`).
# The query matches only the strings in the places `holder_name` finds a name for
# (directly, or inside a tuple or parentheses, of any parent: fewer patterns compile
# faster); the strings holding a marker are found by scanning the text
# (`_python_marked_strings`).
_HOLDER_PARENTS = (
    "assignment", "augmented_assignment", "keyword_argument", "default_parameter",
    "typed_default_parameter", "pair", "comparison_operator",
)  # fmt: skip
_PYTHON_HOLDERS_QUERY = (
    "["
    + " ".join(f"({parent} (string) @string)" for parent in _HOLDER_PARENTS)
    + " (parenthesized_expression (string) @string) (expression_list (string) @string)]"
)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_secret_value(value: str, name: str) -> bool:
    """Could `value` be a real credential for a variable called `name`?"""
    normal = re.sub(r"[^a-z0-9]", "", name.lower())
    if (
        not normal
        or _DESCRIBING.search(name.lower().replace("-", "_"))
        or _DESCRIBING.search(normal)
    ):
        return False
    stripped = value.strip()
    if stripped != value or any(ch.isspace() for ch in value) or _PLACEHOLDER.match(value):
        return False
    # A bare word is a field or key name (`"password"`, `"api_key"`), unless it is given
    # to a password-like name and names nothing itself (`DB_PASSWORD = "postgres"`).
    bare_word = _FIELD_LIKE.match(value) and not any(ch.isdigit() for ch in value)
    if bare_word and (_NAMING_WORDS.search(value.lower()) or not _PASSWORD_NAMES.search(normal)):
        return False
    if value.startswith(("http://", "https://", "/", "./", "~/", "${", "{{", "%(")):
        return False
    if _REGEX_SYNTAX.search(value):
        return False
    if len(set(value)) < 5:
        return False
    if _PASSWORD_NAMES.search(normal):
        return len(value) >= 6
    if _TOKEN_NAMES.search(normal):
        return len(value) >= 12 and entropy(value) >= 3.0
    if _KEY_NAMES.search(normal):
        return (
            len(value) >= 16
            and entropy(value) >= 3.5
            and re.fullmatch(r"[A-Za-z0-9+/=_\-.]+", value) is not None
            and any(ch.isdigit() for ch in value)
            and any(ch.isalpha() for ch in value)
        )
    return False


def holder_name(ctx: FileContext, string: Node) -> tuple[str | None, bool]:
    """The name a string literal is given to, and whether it is a plain assignment or
    declaration (where replacing the literal with an environment lookup makes sense)."""
    node = string
    parent = node.parent
    if parent is not None and parent.type in (
        "expression_list",
        "literal_element",
        "parenthesized_expression",
    ):
        node, parent = parent, parent.parent
    if parent is None:
        return None, False
    kind = parent.type
    if kind in ("assignment", "augmented_assignment", "assignment_expression"):
        left = parent.child_by_field_name("left")
        if left is not None and parent.child_by_field_name("right") == node:
            return _last_name(ctx, left), True
    elif kind in ("keyword_argument", "default_parameter", "typed_default_parameter"):
        if parent.child_by_field_name("value") == node:
            return ctx.text(parent.child_by_field_name("name")), kind != "keyword_argument"
    elif kind == "variable_declarator":
        if parent.child_by_field_name("value") == node:
            return ctx.text(parent.child_by_field_name("name")), True
    elif kind in ("pair", "keyed_element"):
        key = parent.child_by_field_name("key") or parent.named_children[0]
        if key is not None and key != node:
            key_text = (
                string_value(key) if key.type in ("string", "interpreted_string_literal") else None
            )
            if key.type == "literal_element" and key.named_child_count:
                key_text = ctx.text(key.named_children[0])
            return (key_text if key_text is not None else ctx.text(key)), False
    elif kind in ("const_spec", "var_spec", "short_var_declaration", "assignment_statement"):
        names = parent.child_by_field_name("name") or parent.child_by_field_name("left")
        if names is not None:
            return ctx.text(names).split(",")[0].strip(), True
    elif kind in ("comparison_operator", "binary_expression"):
        operands = [n for n in parent.named_children if n != node and n.type != "comment"]
        if operands and operands[0].type in (
            "identifier",
            "attribute",
            "member_expression",
            "selector_expression",
        ):
            return _last_name(ctx, operands[0]), False
    return None, False


def _last_name(ctx: FileContext, node: Node) -> str:
    return re.split(r"[.\[\]'\"]+", ctx.text(node).strip("]'\" "))[-1]


def _could_be_credential(value: str) -> bool:
    """Name-independent shape test, cheap enough to run on every string in a file."""
    return (
        len(value) >= 6
        and _WHITESPACE.search(value) is None  # the same characters as str.isspace
        and len(set(value)) >= 5
        and not _PLACEHOLDER.match(value)
    )


_WHITESPACE = re.compile(r"\s")


def _in_name_table(ctx: FileContext, string: Node) -> bool:
    """Is `string` a value in an object or dict literal whose values are all names
    (`{allPass: "overEvery", always: "constant", ...}`): a table of aliases, not secrets."""
    pair = string.parent
    table = pair.parent if pair is not None and pair.type in ("pair",) else None
    if table is None or table.type not in ("object", "dictionary"):
        return False

    def names_only() -> bool:
        values = [p.child_by_field_name("value") for p in table.named_children if p.type == "pair"]
        words = [string_value(v) if v is not None else None for v in values]
        return len(words) >= 3 and all(w is not None and _FIELD_LIKE.match(w) for w in words)

    # Once per table: asked for each of its strings, a scan each is quadratic in its size.
    return ctx.memo(("name-table", table.id), names_only)


def secret_kind(ctx: FileContext, string: Node) -> tuple[str, str | None, bool] | None:
    """(what kind of secret, the holder's name, fixable) for a secret literal, else None."""
    value = string_value(string)
    if value is None or len(value) < 6:
        return None
    # Every known shape holds a marker: without one (prose, docstrings, most names) the
    # big expression is not tried.
    known = _ANY_MARKER.search(value) is not None and _ANY_KNOWN_SHAPE.search(value) is not None
    if not known and not _could_be_credential(value):
        return None
    name, is_declaration = holder_name(ctx, string)
    for label, pattern in KNOWN_SHAPES if known else ():
        match = pattern.search(value)
        if match is None:
            continue
        if label == "password in a URL":
            password = unquote(match.group("password"))
            letters = re.sub(r"[\W_]", "", password).lower()
            if (
                any(word in letters for word in ("password", "passwd", "secret"))
                or _PLACEHOLDER.match(password)
                or password.lower() in ("pass", "pwd", "user", "username", "secret")
                or password.startswith(("$", "{", "%", "<"))
            ):
                continue
        elif label != "private key" and entropy(match.group(0)) < 3.0:
            continue  # sk-xxxxxxxxxxxxxxxxxxxxxxxx
        whole = match.group(0) == value
        return label, name, whole and is_declaration
    if name is None:
        return None
    normal = re.sub(r"[^a-z0-9]", "", name.lower())
    if not any(names.search(normal) for names in (_PASSWORD_NAMES, _TOKEN_NAMES, _KEY_NAMES)):
        return None  # `looks_like_secret_value` says no to any other name: ask nothing more
    if _in_name_table(ctx, string):
        return None
    if looks_like_secret_value(value, name):
        label = "password" if _PASSWORD_NAMES.search(normal) else "secret"
        return label, name, is_declaration
    return None


@HARDCODED_SECRET.check(PYTHON, _PYTHON_HOLDERS_QUERY)
@HARDCODED_SECRET.check(JAVASCRIPT, _STRING_QUERY["javascript"])
@HARDCODED_SECRET.check(GO, _STRING_QUERY["go"])
def _hardcoded_secret(ctx: FileContext, captures: dict) -> Iterator[Hit]:
    string = captures["string"][0]
    start, end = string.start_byte, string.end_byte
    if end - start < 8:
        return
    if ctx.family == "python" and _python_prose(ctx.source[start:end]):
        return
    found = secret_kind(ctx, string)  # first: most strings fail its shape test at once
    if found is None or _is_docstring(string):
        return  # a docstring is documentation: its example keys are examples
    parent = string.parent
    if parent is not None and parent.type == "concatenated_string":
        return
    label, name, fixable = found
    where = f" in `{name}`" if name else ""
    yield Hit.at(
        string,
        f"Hard-coded {label}{where}: read it from the environment or a secret manager, and "
        "rotate it, since it is already in your history.",
        _fix(ctx, string, name) if fixable and name else None,
    )


# The markers' characters, rarest first in Python source (counted over CPython's standard
# library; any other character counts as common).
_RARITY = "JYKVGz/BPCSRAvI-kTyEx:b=ghmup_.clinoratse "


def _from_rarest(marker: str) -> str:
    """A regular expression for `marker` that starts at its rarest character and checks
    the characters before it by a lookbehind (`J(?<=eyJ)` for `eyJ`). Python's engine
    skips, in a fast loop, every byte that cannot start a match: starting each marker at
    a rare character leaves it one byte in twenty to try (a scan of the stdlib in 0.16 s,
    not 0.25 s, as from the markers' first characters)."""
    at = min(range(len(marker)), key=lambda i: (_RARITY + marker[i]).index(marker[i]))
    before, anchor, after = marker[:at], marker[at], marker[at + 1 :]
    behind = f"(?<={re.escape(before + anchor)})" if before else ""
    return re.escape(anchor) + behind + re.escape(after)


# Matches a part of a marker (from its rarest character): where, not what, is asked.
_ANY_SHAPE_MARKER = re.compile("|".join(map(_from_rarest, _SHAPE_MARKERS)).encode())


@HARDCODED_SECRET.check(PYTHON, "")
def _python_marked_strings(ctx: FileContext, _: dict) -> Iterator[Hit]:
    """The Python strings outside the holders' query whose text holds a shape marker.

    A marker in a string's value is in its source text (the value is the text between
    its quotes), so one scan of the analysed region finds every string that can have a
    known shape; each is checked as a match would be (a string the query matched too
    gives the same hit, kept once)."""
    source, root = ctx.source, ctx.tree.root_node
    start, end = ctx.region if ctx.region is not None else (0, len(source))
    if ctx.region is not None:
        # A string starting in the region may end past it: scan to its end.
        around = _string_around(root, max(end - 1, start), end)
        end = around.end_byte if around is not None else end
    seen: set[int] = set()
    for marker in _ANY_SHAPE_MARKER.finditer(source, start, end):
        string = _string_around(root, marker.start(), marker.end())
        if string is not None and string.start_byte not in seen:
            seen.add(string.start_byte)
            yield from _hardcoded_secret(ctx, {"string": [string]})


def _string_around(root: Node, start: int, end: int) -> Node | None:
    """The innermost Python string holding source[start:end], if any."""
    node: Node | None = root.descendant_for_byte_range(start, end)
    while node is not None and node.type != "string":
        if node.type in ("comment", "module", "block", "expression_statement"):
            return None  # not in a string (strings hold no statements)
        node = node.parent
    return node


def _python_prose(literal: bytes) -> bool:
    """Is this Python string literal (its source bytes) prose, for which `secret_kind`
    says None, decided without building its value? The value `string_value` gives a
    Python string is the text between its quotes (None with an interpolation), so a
    space there and no shape marker anywhere in the literal make it prose, and prose
    has no known shape and fails the credential shape test (whitespace). About a
    quarter of a file's strings (docstrings, messages) end here."""
    return b" " in literal and _ANY_SHAPE_MARKER.search(literal) is None


def _is_docstring(string: Node) -> bool:
    """A Python string that is a statement of its own: a docstring or a block comment."""
    parent = string.parent
    return parent is not None and parent.type == "expression_statement"


def _fix(ctx: FileContext, string: Node, name: str) -> Fix | None:
    variable = re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)).upper()
    variable = variable.strip("_")
    if not variable:
        return None
    if ctx.family == "python":
        edits = [replace_node(string, f'os.environ["{variable}"]')]
        if (added := python_import(ctx, "os")) is not None:
            edits.append(added)
        return Fix(f"Read {variable} from the environment", tuple(edits), safe=False)
    if ctx.family == "javascript":
        return Fix(
            f"Read {variable} from the environment",
            (replace_node(string, f"process.env.{variable}"),),
            safe=False,
        )
    return None
