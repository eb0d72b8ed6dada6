"""Shortcuts that rules take for speed answer exactly as the slower test they replace."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.analysis.rules.python import _rebound


def _rebound_by_regex(name: str, body: bytes) -> bool:
    word = re.escape(name.encode())
    return (
        re.search(
            rb"(?<![.\w])" + word + rb"\s*=[^=]|\bimport\b[^\n]*\b" + word + rb"\b"
            rb"|\bglobal\b[^\n]*\b" + word,
            body,
        )
        is not None
    )


_PIECES = ["f", "fn", "f_", "_f", ".", "=", "==", " ", "\t", "\n", "\x0b", "(", ")", "x",
           "import ", "global ", "é", "0", ":"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["f", "fn", "éf"]), st.lists(st.sampled_from(_PIECES), max_size=12))
def test_rebound_agrees_with_the_regular_expression(name, pieces):
    body = "".join(pieces).encode()
    assert _rebound(name, body) == _rebound_by_regex(name, body)


def test_rebound_examples():
    assert _rebound("f", b"    f = g\n    return f()")
    assert _rebound("f", b"    f  =\tg")
    assert not _rebound("f", b"    if f == g: return f()")
    assert not _rebound("f", b"    self.f = 1\n    return f()")
    assert not _rebound("f", b"    f =")  # `=` must be followed by something
    assert _rebound("f", b"    import f\n")
    assert _rebound("f", b"    global f\n")


def test_enclosing_function_is_the_same_from_the_gathered_functions_as_from_a_query():
    from lantern.analysis import pyflow
    from lantern.analysis.context import FileContext, walk
    from lantern.analysis.languages import language_named, parse

    python = language_named("python")
    assert python is not None
    source = (
        b"def outer(a=lambda: 1):\n"
        b"    def inner():\n"
        b"        return [lambda y: y for _ in a()]\n"
        b"    class C:\n"
        b"        def m(self):\n"
        b"            return inner()\n"
        b"    return C\n"
        b"x = lambda: (lambda: 2)()\n"
    )
    tree = parse(python, source)
    by_query = FileContext(python, source, tree)
    gathered = FileContext(python, source, tree)
    pyflow.file_captures(gathered)  # what the engine's traversal leaves in the memo
    assert "py.file" in gathered._memo and "py.file" not in by_query._memo
    nodes = list(walk(tree.root_node))
    assert [by_query.enclosing_function(n) for n in nodes] == [
        gathered.enclosing_function(n) for n in nodes
    ]
    assert any(gathered.enclosing_function(n) is not None for n in nodes)


# One value of each known secret shape (LS104): each holds a shape marker, which is what
# lets `secret_kind` skip the shapes' expression for strings without one.
_SHAPE_EXAMPLES = {
    "AWS access key ID": "AKIAIOSFODNN7EXAMPLE",
    "GitHub token": "ghp_" + "a1B2" * 9,
    "API key (sk-)": "sk-proj-" + "Ab1" * 8,
    "Slack token": "xoxb-1234567890-abcdef",
    "Slack webhook": "https://hooks.slack.com/services/T000/B000/abc",
    "Google API key": "AIza" + "B" * 35,
    "Stripe live key": "sk_live_" + "a1" * 12,
    "GitLab token": "glpat-" + "x1" * 11,
    "npm token": "npm_" + "a" * 36,
    "SendGrid key": "SG." + "a" * 22 + "." + "b" * 43,
    "private key": "-----BEGIN RSA PRIVATE KEY-----",
    "JSON Web Token": "eyJ" + "a" * 12 + ".eyJ" + "b" * 12 + "." + "c" * 12,
    "Azure storage key": "AccountKey=" + "A" * 44,
    "password in a URL": "postgres://admin:Tr0ub4dor3@db.internal",
}


def test_every_known_secret_shape_holds_a_marker():
    from lantern.analysis.rules.secrets import _ANY_MARKER, KNOWN_SHAPES

    assert sorted(label for label, _ in KNOWN_SHAPES) == sorted(_SHAPE_EXAMPLES)
    for label, pattern in KNOWN_SHAPES:
        example = _SHAPE_EXAMPLES[label]
        match = pattern.search(example)
        assert match is not None, label
        assert _ANY_MARKER.search(match.group(0)) is not None, label


_LAYOUTS = [
    b"x = 1\ny = 2\n",
    b"x = 1; y = 2\nif x:\n    a; b\n    c\n",
    b"if x:\n    a\n      b\n",  # a block's statements at two columns
    b"if x:\n        a\n    b\n",  # dedent to no enclosing level: b is a module statement
    b"def f():\n    pass\n  x = 1\n",
    b"class A:\n    def f(self):\n        return 1\n\n    x = 2\n",
    b"if x:\n    a = (1,\n  2)\n    b\n",  # a continuation line's indentation is no start
    b"for i in x:\n    pass\nelse:\n    a\n    b\n",
]


@pytest.mark.parametrize("source", _LAYOUTS)
def test_indentation_suspect_from_gathered_blocks_agrees_with_the_walk(source):
    from tree_sitter import Query, QueryCursor

    from lantern.analysis.languages import language_named, parse
    from lantern.analysis.syntax import indentation_suspect

    python = language_named("python")
    assert python is not None
    tree = parse(python, source)
    assert not tree.root_node.has_error
    blocks = QueryCursor(Query(python.grammar, "(block) @b")).captures(tree.root_node).get("b", [])
    assert indentation_suspect(source, tree, None, blocks) == indentation_suspect(source, tree)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", " ", "\n", "\r", "\r\n", "é", "€", "😀", "\u2028", "\x0c"]),
        max_size=30,
    ),
    st.data(),
)
def test_check_locations_agree_with_the_line_index(pieces, data):
    from lantern.analysis.files import _Locator
    from lantern.positions import Encoding, LineIndex

    text = "".join(pieces)
    source = text.encode("utf-8")
    index, at = LineIndex(text), _Locator(source)
    for byte in data.draw(st.lists(st.integers(0, len(source)), max_size=8)):
        line, column = index.position_at_byte(byte, Encoding.UTF32)
        location = at(byte)
        assert (location.line, location.column) == (line + 1, column + 1), byte


_SECRETS_EVERYWHERE = b"""
API_TOKEN = "ghp_4f9aZ2kQ8mXbW1cR7tYhL0pN3sVdE6uJ5gKq"
pair = ("x", "AKIAIOSFODNN7EXAMPLE")
KEYS = ["sk-proj-Ab1Ab1Ab1Ab1Ab1Ab1Ab1Ab1", f"{'xoxb-1234567890-abcdef'}"]
db_password = ("hunter2hunter")
user, secret_key = "admin", "q8Zr2Lm9Xv4Tn7Kp1Wd6"
connect(password="Tr0ub4dor3x", url="postgres://admin:Tr0ub4dor3@db.internal")
def login(token="a8F3kL9qZ2xV7mN4"): ...
settings = {"api_key": "k3J9dLq2Zx8Vn4Tm7Rw1", "aws": "AKIAIOSFODNN7EXAMPL2"}
if auth_token == "Zx8Vn4Tm7Rw1k3J9dLq2": pass
print("postgres://admin:Tr0ub4dor3@db.internal" "tail")
# a comment: AKIAIOSFODNN7EXAMPLE and sk-proj-Ab1Ab1Ab1Ab1Ab1Ab1Ab1Ab1
call(["-----BEGIN RSA PRIVATE KEY-----"], mask-1, a//b)
"""


@pytest.mark.parametrize("cut", [None, (0, 200), (150, 420), (300, 10_000)])
def test_python_secrets_from_holders_and_markers_equal_a_check_of_every_string(cut):
    """LS104 on Python checks the strings its holders' query matches and those whose
    text holds a shape marker: the same hits as checking every string."""
    from tree_sitter import Query, QueryCursor

    from lantern.analysis.context import FileContext, RuleOptions
    from lantern.analysis.engine import _run_rules
    from lantern.analysis.languages import language_named, parse
    from lantern.analysis.rules.secrets import _hardcoded_secret

    python = language_named("python")
    assert python is not None
    source = _SECRETS_EVERYWHERE
    tree = parse(python, source)
    region = None if cut is None else (cut[0], min(cut[1], len(source)))
    every = QueryCursor(Query(python.grammar, "(string) @string"))
    expected = set()
    for string in every.captures(tree.root_node)["string"]:
        if region is None or region[0] <= string.start_byte < region[1]:
            ctx = FileContext(python, source, tree)
            expected |= {
                (h.start, h.end, h.message) for h in _hardcoded_secret(ctx, {"string": [string]})
            }
    ctx = FileContext(python, source, tree, RuleOptions(select=("LS104",)))
    found = _run_rules(ctx, None if region is None else [region])
    assert {(f.start_byte, f.end_byte, f.message) for f in found} == expected
    assert len(expected) >= (6 if cut is None else 1)


def test_owners_found_in_one_sweep_equal_the_innermost_function_of_each_node():
    from lantern.analysis import pyflow
    from lantern.analysis.context import FileContext, walk
    from lantern.analysis.languages import language_named, parse

    python = language_named("python")
    assert python is not None
    source = (
        b"x = 1\n"
        b"def f(a=lambda: 0):\n"
        b"    y = lambda z: (lambda: z)()\n"
        b"    def g():\n"
        b"        return [w for w in y]\n"
        b"    return g\n"
        b"class C:\n"
        b"    def m(self): return lambda: self\n"
        b"z = f()\n"
    )
    ctx = FileContext(python, source, parse(python, source))
    functions = pyflow._function_spans(ctx, None)
    nodes = sorted(walk(ctx.tree.root_node), key=lambda n: n.start_byte)
    expected = [pyflow._innermost(functions, node) for node in nodes]
    assert pyflow._owners_in_order(functions, nodes) == expected
    assert len({owner.id for owner in expected if owner is not None}) >= 5


def test_every_assignment_of_a_chain_binds_the_chains_value():
    from lantern.analysis import pyflow
    from lantern.analysis.context import FileContext
    from lantern.analysis.languages import language_named, parse

    python = language_named("python")
    assert python is not None
    source = b"a = b = c.d = e = 7\nf = g = h\n"
    ctx = FileContext(python, source, parse(python, source))
    bindings = pyflow.scope_facts(ctx, ctx.tree.root_node).bindings
    values = {name: [ctx.text(b.value) for b in found] for name, found in bindings.items()}
    assert values == {"a": ["7"], "b": ["7"], "e": ["7"], "f": ["h"], "g": ["h"]}


def test_the_scan_from_a_markers_rarest_character_finds_exactly_the_markers():
    from lantern.analysis.rules.secrets import _ANY_SHAPE_MARKER, _SHAPE_MARKERS

    for marker in _SHAPE_MARKERS:
        assert _ANY_SHAPE_MARKER.search(f"x = '{marker}'".encode()) is not None, marker
        for cut in range(len(marker)):  # any character missing: no marker
            partial = marker[:cut] + "\n" + marker[cut + 1 :]
            assert _ANY_SHAPE_MARKER.search(partial.encode()) is None, (marker, cut)
