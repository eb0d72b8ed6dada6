"""The session: edits applied in order, incremental parses equal fresh ones, snapshots frozen."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Node

from lantern.analysis.languages import detect_language, parse
from lantern.positions import Encoding, LineIndex
from lantern.session import LARGE_DOCUMENT, Session, TextChange

PIECES = ["def f(x):\n", "    return x\n", "é", "😀", "(", ")", "\r\n", "\n", "'s'", " ", "中"]
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
URI = "file:///w/module.py"


@st.composite
def edits(draw: st.DrawFn, text: str, encoding: Encoding) -> list[tuple[TextChange, str]]:
    """A few random ranged edits, each with the text expected after it."""
    result = []
    for _ in range(draw(st.integers(1, 6))):
        index = LineIndex(text)
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        inserted = draw(texts)
        change = TextChange(
            inserted, index.position_at(start, encoding), index.position_at(end, encoding)
        )
        # Positions inside a "\r\n" map to the end of the line: apply what the position means.
        start = index.offset_at(*change.start, encoding)
        end = index.offset_at(*change.end, encoding)
        text = text[:start] + inserted + text[end:]
        result.append((change, text))
    return result


def nodes(node: Node) -> list[tuple[object, ...]]:
    """Every node with its type and exact place, in document order."""
    found = [(node.type, node.start_byte, node.end_byte, node.start_point, node.end_point)]
    for child in node.children:
        found += nodes(child)
    return found


@settings(max_examples=150, deadline=None)
@given(texts, st.sampled_from(list(Encoding)), st.data())
def test_incremental_edits_give_the_same_text_and_tree_as_a_fresh_parse(
    initial: str, encoding: Encoding, data: st.DataObject
):
    session = Session()
    session.encoding = encoding
    session.open(URI, "python", 1, initial)
    session.snapshot(URI)  # parse once, so later edits go through tree.edit
    for version, (change, expected) in enumerate(data.draw(edits(initial, encoding)), start=2):
        session.change(URI, version, [change])
        if data.draw(st.booleans()):  # sometimes parse between edits, sometimes batch them
            snapshot = session.snapshot(URI)
            assert snapshot is not None and snapshot.text == expected
    snapshot = session.snapshot(URI)
    assert snapshot is not None and snapshot.tree is not None
    fresh = parse(detect_language(URI), expected.encode("utf-8"))
    assert nodes(snapshot.tree.root_node) == nodes(fresh.root_node)
    assert snapshot.source == expected.encode("utf-8")
    assert snapshot.index.line_starts == LineIndex(expected).line_starts


@given(texts, st.data())
def test_replaced_line_index_equals_a_fresh_one(text: str, data: st.DataObject):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    inserted = data.draw(texts)
    replaced = LineIndex(text).replaced(start, end, inserted)
    fresh = LineIndex(text[:start] + inserted + text[end:])
    assert replaced.text == fresh.text
    assert replaced.line_starts == fresh.line_starts


@settings(max_examples=200, deadline=None)
@given(texts, st.data())
def test_a_chain_of_edits_keeps_every_line_lookup_exact(text: str, data: st.DataObject):
    index = LineIndex(text)
    for _ in range(data.draw(st.integers(1, 8))):
        start = data.draw(st.integers(0, len(index.text)))
        end = data.draw(st.integers(start, len(index.text)))
        earlier = index
        index = index.replaced(start, end, data.draw(texts))
        fresh = LineIndex(index.text)
        assert index._lone_cr == fresh._lone_cr  # decided around the edit only
        # Asked before the list of starts is built (the shift is still pending)...
        for offset in range(len(index.text) + 1):
            assert index.position_at(offset, Encoding.UTF16) == fresh.position_at(
                offset, Encoding.UTF16
            )
            assert index.point_at(offset) == fresh.point_at(offset)
        for line in range(index.line_count + 1):
            assert index.line_text(line) == fresh.line_text(line)
        if data.draw(st.booleans()):  # UTF-8 offsets: carried from edit to edit once known
            encoded = index.text.encode("utf-8", "surrogatepass")
            for offset in range(len(index.text) + 1):
                assert index.byte_at(offset) == len(index.text[:offset].encode("utf-8"))
            for byte in range(len(encoded) + 1):
                assert index.offset_at_byte(byte) == fresh.offset_at_byte(byte)
        if data.draw(st.booleans()):  # ...and sometimes built between edits
            assert index.line_starts == fresh.line_starts
        assert earlier.line_starts == LineIndex(earlier.text).line_starts  # not disturbed
    assert index.line_starts == LineIndex(index.text).line_starts


def test_a_snapshot_does_not_change_when_the_document_does():
    session = Session()
    session.open(URI, "python", 1, "x = 1\n")
    before = session.snapshot(URI)
    session.change(URI, 2, [TextChange("y", (0, 0), (0, 1))])
    after = session.snapshot(URI)
    assert before is not None and after is not None
    assert (before.version, before.text) == (1, "x = 1\n")
    assert (after.version, after.text) == (2, "y = 1\n")
    assert before.tree is not None and before.tree.root_node.text == b"x = 1\n"


def test_a_whole_text_change_replaces_the_document():
    session = Session()
    session.open(URI, "python", 1, "def f(:\n")
    session.change(URI, 2, [TextChange("def f():\n    pass\n")])
    snapshot = session.snapshot(URI)
    assert snapshot is not None and snapshot.tree is not None
    assert not snapshot.tree.root_node.has_error


def test_unknown_languages_are_kept_but_not_parsed():
    session = Session()
    session.open("file:///w/notes.txt", "plaintext", 1, "anything")
    snapshot = session.snapshot("file:///w/notes.txt")
    assert snapshot is not None and snapshot.language is None and snapshot.tree is None


def test_changes_to_a_document_that_is_not_open_are_ignored():
    assert Session().change(URI, 2, [TextChange("x")]) is None


def test_only_the_most_recently_used_documents_keep_a_tree_and_others_parse_again(monkeypatch):
    monkeypatch.setattr("lantern.session.TREES_KEPT", 2)
    session, dropped = Session(), []
    session.on_tree_dropped = dropped.append
    uris = [f"file:///w/m{i}.py" for i in range(3)]
    for uri in uris:
        session.open(uri, "python", 1, "x = 1\n")
        session.snapshot(uri)
    assert dropped == [uris[0]]
    evicted = session.documents[uris[0]]
    # Only its text is left: the tree, the UTF-8 copy and the line starts are made again.
    assert evicted.tree is None and evicted.source == b"" and evicted.index._starts is None
    assert all(session.documents[uri].tree is not None for uri in uris[1:])
    session.change(uris[0], 2, [TextChange("y", (0, 0), (0, 1))])  # edited without a tree
    snapshot = session.snapshot(uris[0])
    assert snapshot is not None and snapshot.tree is not None and snapshot.source == b"y = 1\n"
    assert str(snapshot.tree.root_node) == str(parse(snapshot.language, b"y = 1\n").root_node)
    assert dropped == [uris[0], uris[1]]  # the least recently used one made room


# -- large documents: parsed off the event loop ---------------------------------------------


def _large_python(marker: str = "x") -> str:
    line = f"value_{marker} = compute(1, 2)  # a comment\n"
    return line * (LARGE_DOCUMENT // len(line) + 1)


def test_a_large_documents_snapshot_has_no_tree_until_its_parse_job_is_installed():
    session = Session()
    text = _large_python()
    session.open(URI, "python", 1, text)
    waiting = session.snapshot(URI)
    assert waiting is not None and waiting.tree is None and waiting.parse_pending
    job = session.parse_job(URI)
    assert job is not None and job.version == 1
    assert session.install(job, job.run())
    parsed = session.snapshot(URI)
    assert parsed is not None and not parsed.parse_pending
    assert nodes(parsed.tree.root_node) == nodes(parse(parsed.language, text.encode()).root_node)
    assert session.parse_job(URI) is None  # nothing left to do


def test_a_parse_finished_after_an_edit_is_not_installed_and_the_next_is_incremental():
    session = Session()
    text = _large_python()
    session.open(URI, "python", 1, text)
    first = session.parse_job(URI)
    assert first is not None
    assert session.install(first, first.run())
    session.change(URI, 2, [TextChange("y", (0, 6), (0, 7))])
    stale = session.parse_job(URI)
    session.change(URI, 3, [TextChange("z", (1, 6), (1, 7))])
    assert stale is not None and not session.install(stale, stale.run())
    assert session.snapshot(URI).tree is None  # the version-2 tree was not taken for 3
    job = session.parse_job(URI)
    assert job is not None and job.version == 3 and job.old_tree is not None
    assert session.install(job, job.run())
    current = session.snapshot(URI)
    fresh = parse(current.language, current.source)
    assert nodes(current.tree.root_node) == nodes(fresh.root_node)
    assert current.source.startswith(b"value_y = ") and b"\nvalue_z = " in current.source


def test_small_documents_are_parsed_by_the_snapshot_itself():
    session = Session()
    session.open(URI, "python", 1, "x = 1\n")
    snapshot = session.snapshot(URI)
    assert snapshot.tree is not None and not snapshot.parse_pending
    assert session.parse_job(URI) is None


BROKEN = ["(", ")", "[", "{", ":", "\n", "    ", "def f(", "x = (1, ", "'", '"', "else:", ",", "\\"]


def test_python_trees_after_breaking_edits_equal_fresh_parses_without_a_second_parse():
    """The session trusts tree-sitter-python's error recovery after an incremental parse
    (no fresh re-parse, the slowest step of a keystroke that breaks the syntax): real
    files, random breaking edits, each tree equal to a fresh parse of the same text."""
    rules = Path(__file__).parents[1] / "rules" / "python"
    rng = random.Random(13)
    broken = 0
    for path in sorted(rules.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        session = Session()
        session.open(URI, "python", 1, text)
        session.snapshot(URI)
        for version in range(2, 12):
            offset = rng.randrange(len(text))
            inserted = rng.choice(BROKEN)
            position = LineIndex(text).position_at(offset, Encoding.UTF16)
            session.change(URI, version, [TextChange(inserted, position, position)])
            text = text[:offset] + inserted + text[offset:]
            snapshot = session.snapshot(URI)
            assert snapshot is not None and snapshot.tree is not None
            broken += snapshot.tree.root_node.has_error
            fresh = parse(detect_language(URI), text.encode("utf-8"))
            assert nodes(snapshot.tree.root_node) == nodes(fresh.root_node), (path.name, version)
    assert broken > 50  # the edits did exercise error recovery
