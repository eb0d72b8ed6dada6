"""Incremental equals fresh: after any edits, what the server publishes for a document
equals what opening the same text would give, in every supported language.

The edits go the way the server applies them (Session: LSP ranges, `tree.edit`, an
incremental re-parse) and the analysis starts from the previous one, as diagnostics do;
the reference is a fresh parse and a full analysis of the final text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.analysis.engine import Analysis, analyse, analyse_document
from lantern.analysis.languages import LANGUAGES, language_named, parse
from lantern.positions import Encoding, LineIndex
from lantern.session import Session, TextChange
from tests.support.worst_cases import many_findings, many_statements

RULES = Path(__file__).parents[1] / "rules"
EXTENSIONS = {spec.name: spec.extensions[0] for spec in LANGUAGES}


def _fixture_texts(language: str) -> list[str]:
    folder = {"typescript": "typescript", "tsx": "typescript"}.get(language, language)
    suffix = EXTENSIONS[language]
    texts = [p.read_text() for p in sorted((RULES / folder).glob(f"*{suffix}"))]
    # Every language also gets generated code with findings and module-level names.
    return [*texts, many_findings(language, 6), many_statements(language, 6)]


TEXTS = {spec.name: _fixture_texts(spec.name) for spec in LANGUAGES}
PIECES = ["(", ")", "{", "}", "'", '"', "`", "\n", " ", "x", "é", "😀", "=", ";", ",",
          "def f(x):\n    ", "function g() {", "func h() {", "return eval(x)\n",
          "if a == a {"]  # fmt: skip


def _publish(session: Session, uri: str, previous: Analysis | None) -> Analysis:
    """What diagnostics.findings_for does: snapshot, then analyse from the last analysis."""
    snapshot = session.snapshot(uri)
    assert snapshot is not None and snapshot.tree is not None and snapshot.language is not None
    return analyse_document(snapshot.language, snapshot.source, snapshot.tree, None, previous)


def _fresh(language: str, text: str) -> tuple:
    spec = language_named(language)
    source = text.encode("utf-8", "surrogatepass")
    return tuple(analyse(spec, source, parse(spec, source)))


@st.composite
def _bursts(draw: st.DrawFn, text: str) -> list[list[tuple[int, int, str]]]:
    """Bursts of edits (str offsets into the text current at each edit)."""
    bursts = []
    for _ in range(draw(st.integers(1, 4))):
        burst = []
        for _ in range(draw(st.integers(1, 3))):  # several ranges: a multi-cursor edit
            start = draw(st.integers(0, len(text)))
            end = draw(st.integers(start, min(len(text), start + 40)))
            inserted = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=4)))
            burst.append((start, end, inserted))
            text = text[:start] + inserted + text[end:]
        bursts.append(burst)
    return bursts


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(TEXTS)), st.data())
def test_incremental_diagnostics_equal_a_fresh_open_in_every_language(
    language: str, data: st.DataObject
):
    text = data.draw(st.sampled_from(TEXTS[language]))
    encoding = data.draw(st.sampled_from(list(Encoding)))
    uri = f"file:///w/case{EXTENSIONS[language]}"
    session = Session()
    session.encoding = encoding
    session.open(uri, language, 1, text)
    analysis = _publish(session, uri, None)
    version = 1
    for burst in data.draw(_bursts(text)):
        changes = []
        for start, end, inserted in burst:
            index = LineIndex(text)
            changes.append(
                TextChange(
                    inserted, index.position_at(start, encoding), index.position_at(end, encoding)
                )
            )
            # A position inside "\r\n" or a surrogate pair means what the session makes of it.
            start, end = (
                index.offset_at(*changes[-1].start, encoding),
                index.offset_at(*changes[-1].end, encoding),
            )
            text = text[:start] + inserted + text[end:]
        version += 1
        session.change(uri, version, changes)
        analysis = _publish(session, uri, analysis)
        assert session.documents[uri].text == text
        assert analysis.findings == _fresh(language, text)


CASES_02 = sorted((Path(__file__).parent / "data").glob("go-incremental-error-recovery*.json"))


@pytest.mark.parametrize("path", CASES_02, ids=lambda p: p.stem)
def test_go_error_recovery_after_an_edit_equals_a_fresh_parse(path: Path):
    """Issue 11 case 02 (and the fuzz run it was shrunk from): tree-sitter-go's
    incremental error recovery kept a different tree from a fresh parse."""
    case = json.loads(path.read_text())
    uri = "file:///w/case.go"
    session = Session()
    session.encoding = Encoding(case["encoding"])
    session.open(uri, "go", 1, case["old_text"])
    analysis = _publish(session, uri, None)
    for version, notification in enumerate(case["notifications"], start=2):
        changes = [
            TextChange(
                change["text"],
                (change["range"]["start"]["line"], change["range"]["start"]["character"]),
                (change["range"]["end"]["line"], change["range"]["end"]["character"]),
            )
            for change in notification
        ]
        session.change(uri, version, changes)
        analysis = _publish(session, uri, analysis)
    text = session.documents[uri].text
    assert text == case.get("new_text", text)
    assert analysis.findings == _fresh("go", text)


# (language, text, offset of the insertion, what is inserted): an edit inside a top-level
# function that changes the name it defines, which other functions' findings depend on.
RENAMES = [
    # Error recovery re-reads the header: `def f1(x)return eval(x):` defines `eval`, so
    # the other functions' `eval(x)` calls are no longer the builtin (found by hypothesis).
    ("python", many_findings("python", 6), 44, "return eval(x)\n"),
    ("python", "def f(x):\n    return eval(x)\n\n\ndef e(x):\n    return 1\n", 36, "val"),
    ("python", "def f(x):\n    return eval(x)\n\n\n@cache\ndef e(x):\n    return 1\n", 43, "val"),
]


@pytest.mark.parametrize("language, text, offset, inserted", RENAMES)
def test_renaming_a_top_level_function_re_analyses_its_users(language, text, offset, inserted):
    uri = f"file:///w/case{EXTENSIONS[language]}"
    session = Session()
    session.encoding = Encoding.UTF8
    session.open(uri, language, 1, text)
    analysis = _publish(session, uri, None)
    at = LineIndex(text).position_at(offset, Encoding.UTF8)
    session.change(uri, 2, [TextChange(inserted, at, at)])
    analysis = _publish(session, uri, analysis)
    edited = text[:offset] + inserted + text[offset:]
    assert "LS101" in [f.code for f in _fresh(language, text)]
    assert "LS101" not in [f.code for f in _fresh(language, edited)]  # `eval` is defined
    assert analysis.findings == _fresh(language, edited)


INDENTED = (
    "import os\n\n\ndef first(path):\n    name = os.path.basename(path)\n    return name\n\n\n"
    "class Box:\n    def second(self, x):\n        if x:\n            y = x * 2\n"
    "        return x\n\n\ndef third(items):\n    for item in items:\n        print(item)\n"
)
# (find, replace) applied in turn, each creating or removing an indentation error that
# tree-sitter accepts and CPython rejects; the incremental analysis checks only the
# blocks it re-analyses, so every step must still equal a fresh open.
INDENTATION_STEPS = [
    ("    return name\n", "        return name\n"),  # unexpected indent
    ("        return name\n", "    return name\n"),  # fixed again
    ("            y = x * 2\n", ""),  # an empty block
    ("        if x:\n", "        if x:\n            y = x * 2\n"),  # filled again
    ("        print(item)\n", "      print(item)\n"),  # a shallower, still valid block
    ("    for item in items:\n", "    for item in items:\n        pass\n"),  # siblings differ
    ("    return x\n", "   return x\n"),  # unindent does not match any outer level
]


def test_indentation_errors_after_edits_equal_a_fresh_open():
    uri = "file:///w/case.py"
    session = Session()
    session.encoding = Encoding.UTF8
    session.open(uri, "python", 1, INDENTED)
    analysis = _publish(session, uri, None)
    text, reported = INDENTED, set()
    for version, (find, replace) in enumerate(INDENTATION_STEPS, start=2):
        offset = text.index(find)
        index = LineIndex(text)
        start = index.position_at(offset, Encoding.UTF8)
        end = index.position_at(offset + len(find), Encoding.UTF8)
        session.change(uri, version, [TextChange(replace, start, end)])
        text = text[:offset] + replace + text[offset + len(find) :]
        analysis = _publish(session, uri, analysis)
        assert analysis.reanalysed is not None  # the incremental path, not a full one
        assert analysis.findings == _fresh("python", text)
        reported |= {f.message for f in analysis.findings if f.code == "syntax"}
    assert len(reported) >= 3  # the steps did create errors of several kinds


APPENDED = (
    "import subprocess\n\n\nclass Runner:\n    def run(self, command):\n"
    "        return subprocess.call(command)\n\n    def stop(self):\n        return None\n\n\n"
    "def use(command):\n    return Runner().run(command)\n"
)


@pytest.mark.parametrize(
    "typed", [" or eval(command)", ", shell=True", "\n\n    def more(self):\n        pass"]
)
def test_typing_at_the_end_of_a_method_re_runs_only_what_it_changes(typed):
    """Typing at the end of a method's last line extends the method; the whitespace after
    it belongs to the class, but the class (and its users) need no re-run unless the new
    text adds to the class itself. Either way the result equals a fresh open."""
    uri = "file:///w/case.py"
    session = Session()
    session.encoding = Encoding.UTF8
    session.open(uri, "python", 1, APPENDED)
    analysis = _publish(session, uri, None)
    offset = APPENDED.index("subprocess.call(command)") + len("subprocess.call(command)")
    text = APPENDED
    for version, character in enumerate(typed, start=2):  # one keystroke at a time
        at = LineIndex(text).position_at(offset, Encoding.UTF8)
        session.change(uri, version, [TextChange(character, at, at)])
        text = text[:offset] + character + text[offset:]
        offset += len(character)
    analysis = _publish(session, uri, analysis)
    assert analysis.findings == _fresh("python", text)
    if "def more" in typed:
        return  # a new method: the class is re-run (here, the whole small file)
    method = (APPENDED.index("    def run"), text.index("\n\n    def stop"))
    assert analysis.reanalysed is not None
    assert all(method[0] <= start and end <= method[1] for start, end in analysis.reanalysed)
