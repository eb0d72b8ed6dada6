"""Position conversion: LSP positions <-> str offsets <-> UTF-8 bytes <-> tree-sitter points."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lantern.positions import Encoding, LineIndex, encoding_from_lsp

# Text built from pieces that stress every encoding: accents, CJK, emoji (surrogate
# pairs in UTF-16, 4 bytes in UTF-8), and every kind of line break, empty lines included.
PIECES = ["a", "é", "ß", "中文", "😀", "👩‍💻", " ", "\t", "\n", "\r\n", "\r", "", "x = 1"]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
encodings = st.sampled_from(list(Encoding))


def units(text: str, encoding: Encoding) -> int:
    if encoding is Encoding.UTF8:
        return len(text.encode("utf-8"))
    if encoding is Encoding.UTF16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def check_position(text: str, offset: int, encoding: Encoding, expected: tuple[int, int]) -> None:
    assert LineIndex(text).position_at(offset, encoding) == expected


def test_positions_count_code_units_of_the_negotiated_encoding():
    text = "é😀x\ny"
    check_position(text, 2, Encoding.UTF16, (0, 3))  # é=1, 😀=2 units
    check_position(text, 2, Encoding.UTF8, (0, 6))  # é=2, 😀=4 bytes
    check_position(text, 2, Encoding.UTF32, (0, 2))
    check_position(text, 3, Encoding.UTF16, (0, 4))  # just before the line break
    check_position(text, 4, Encoding.UTF16, (1, 0))


def test_every_line_break_kind_starts_a_line():
    index = LineIndex("a\r\nb\rc\nd")
    assert index.line_count == 4
    assert [index.line_text(n) for n in range(4)] == ["a", "b", "c", "d"]
    assert index.offset_at(2, 0, Encoding.UTF16) == 5


def test_positions_past_the_end_are_clamped():
    index = LineIndex("ab\ncd\n")
    assert index.offset_at(0, 99, Encoding.UTF16) == 2  # end of line 0, not into line 1
    assert index.offset_at(99, 0, Encoding.UTF16) == 6  # end of the text
    assert index.offset_at(-1, 5, Encoding.UTF16) == 0
    assert index.position_at(999, Encoding.UTF8) == (2, 0)
    assert index.byte_at(999) == 6 and index.offset_at_byte(999) == 6


def test_a_column_inside_a_surrogate_pair_moves_to_its_start():
    index = LineIndex("😀x")
    assert index.offset_at(0, 1, Encoding.UTF16) == 0
    assert index.offset_at(0, 2, Encoding.UTF16) == 1
    assert index.offset_at(0, 3, Encoding.UTF8) == 0  # inside the 4-byte sequence


def test_tree_sitter_points_count_newlines_only():
    index = LineIndex("a\rbc\nd")  # a lone CR is a line break for LSP, not for tree-sitter
    assert index.position_at(3, Encoding.UTF16) == (1, 1)
    assert index.point_at(3) == (0, 3)
    assert index.point_at(6) == (1, 1)


def test_unknown_encoding_names_fall_back_to_utf16():
    assert encoding_from_lsp("utf-8") is Encoding.UTF8
    assert encoding_from_lsp("utf-7") is Encoding.UTF16
    assert encoding_from_lsp(None) is Encoding.UTF16


@given(texts, encodings, st.data())
def test_position_and_offset_round_trip(text: str, encoding: Encoding, data: st.DataObject):
    index = LineIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    line, character = index.position_at(offset, encoding)
    back = index.offset_at(line, character, encoding)
    # Offsets between "\r" and "\n" map to the end of their line; everything else is exact.
    assert back == offset or text[back:offset] in ("\r", "\n", "\r\n")


@given(texts, encodings)
def test_positions_agree_with_encoding_the_prefix(text: str, encoding: Encoding):
    index = LineIndex(text)
    for line in range(index.line_count):
        start = index.line_starts[line]
        line_text = index.line_text(line)
        for cut in range(len(line_text) + 1):
            position = index.position_at(start + cut, encoding)
            assert position == (line, units(line_text[:cut], encoding))


@given(texts, st.data())
def test_bytes_and_offsets_round_trip(text: str, data: st.DataObject):
    index = LineIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    byte = index.byte_at(offset)
    assert byte == len(text[:offset].encode("utf-8"))
    assert index.offset_at_byte(byte) == offset


@given(texts, st.data())
def test_points_match_tree_sitter_rows_and_byte_columns(text: str, data: st.DataObject):
    index = LineIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    prefix = text[:offset].encode("utf-8")
    row = prefix.count(b"\n")
    column = len(prefix) - (prefix.rfind(b"\n") + 1)
    assert index.point_at(offset) == (row, column)


@given(texts, encodings, st.integers(-3, 50), st.integers(-3, 200))
def test_any_position_is_clamped_never_raises(
    text: str, encoding: Encoding, line: int, character: int
):
    index = LineIndex(text)
    offset = index.offset_at(line, character, encoding)
    assert 0 <= offset <= len(text)
    assert 0 <= index.byte_at_position(line, character, encoding) <= len(text.encode("utf-8"))


def test_line_starts_are_computed_when_first_needed_and_equal_an_eager_scan():
    text = "a\r\nb\rc\n\nd"
    index = LineIndex(text)
    assert index._starts is None
    assert index.position_at(len(text), Encoding.UTF16) == (4, 1)
    assert index.line_starts == [0, 3, 5, 7, 8]
    assert index.without_line_starts()._starts is None
    assert index.without_line_starts().line_starts == index.line_starts
