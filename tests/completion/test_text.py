"""Text helpers: the context window handed to the model layer, and its line numbering."""

from __future__ import annotations

import pytest

from lantern.completion.text import context_window, line_and_column, line_around

KEY_BLOCK = (
    "KEY = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----'''\n"
)


def test_the_window_is_whole_lines_around_the_cursor() -> None:
    text = "".join(f"line {n:03}\n" for n in range(100))
    offset = text.index("line 050") + 3
    start, end = context_window(text, offset, 30, 30)
    window = text[start:end]
    assert window.startswith("line 047") and window.endswith("line 053")
    assert context_window(text, offset, 10_000, 10_000) == (0, len(text))


@pytest.mark.parametrize("reach", range(1, 60))
def test_the_window_never_splits_a_private_key_block(reach: int) -> None:
    text = "a = 1\n" * 5 + KEY_BLOCK + "b = 2\n" * 5
    for offset in (text.index("MIIE"), text.index("b = 2"), text.index("a = 1")):
        start, end = context_window(text, offset, reach, reach)
        window = text[start:end]
        if "-----" in window:
            assert "-----BEGIN" in window and "-----END RSA PRIVATE KEY-----" in window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (1, 0)),
        ("abc", (1, 3)),
        ("abc\n", (2, 0)),
        ("a\r\nbc", (2, 2)),
        ("a\x0cb", (2, 1)),  # a form feed breaks lines for str.splitlines
    ],
)
def test_line_and_column_count_like_splitlines(text: str, expected: tuple[int, int]) -> None:
    assert line_and_column(text, len(text)) == expected


def test_line_around_splits_the_cursor_line() -> None:
    assert line_around("a\nbc|de\r\nf".replace("|", ""), 4) == ("bc", "de")
