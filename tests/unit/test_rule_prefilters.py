"""Shortcuts that rules take for speed answer exactly as the slower test they replace."""

from __future__ import annotations

import re

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
