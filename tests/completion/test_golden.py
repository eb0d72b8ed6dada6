"""Golden cases for the cursor decision plus post-processing, one case per folder.

Each folder under golden/ holds:
- `input.<ext>`: a document with `<|cursor|>` where the cursor is;
- `model.txt`: what the model answered, byte for byte;
- `expected.<ext>`: the document after accepting the suggestion, the inserted text
  between `⟦` and `⟧` (text it replaced after the cursor is gone); with no suggestion
  it is the input without the cursor mark;
- optionally `options.json`: {"invoked": true, "max_lines": 3}.

`LANTERN_UPDATE_GOLDEN=1 pytest tests/completion/test_golden.py` rewrites the expected
files; read every diff before committing one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lantern.analysis.languages import detect_language, parse
from lantern.completion.decision import decide
from lantern.completion.postprocess import Context, postprocess
from lantern.positions import LineIndex

GOLDEN = Path(__file__).parent / "golden"
CURSOR = "<|cursor|>"
CASES = sorted(path for path in GOLDEN.iterdir() if path.is_dir())


def accepted(document: str, options: dict, model: str, language_hint: str) -> str:
    """The document after accepting what Lantern would suggest for `model`."""
    offset = document.index(CURSOR)
    text = document.replace(CURSOR, "", 1)
    spec = detect_language(language_hint)
    tree = parse(spec, text.encode()) if spec else None
    index = LineIndex(text)
    decision = decide(
        text, offset, tree, index.byte_at(offset), invoked=options.get("invoked", False)
    )
    context = Context(
        prefix=text[:offset],
        suffix=text[offset:],
        mode=decision.mode,
        max_lines=options.get("max_lines", 8),
        line_comment=spec.line_comment if spec else None,
    )
    suggestion = postprocess(model, context)
    if suggestion is None:
        return text
    after = offset + suggestion.replace
    return f"{text[:offset]}⟦{suggestion.text}⟧{text[after:]}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden(case: Path) -> None:
    (source,) = case.glob("input.*")
    expected_path = case / f"expected{source.suffix}"
    options_path = case / "options.json"
    options = json.loads(options_path.read_text()) if options_path.exists() else {}
    document = source.read_text(encoding="utf-8")
    model = (case / "model.txt").read_text(encoding="utf-8")
    result = accepted(document, options, model, source.name)
    if os.environ.get("LANTERN_UPDATE_GOLDEN"):
        expected_path.write_text(result, encoding="utf-8")
    assert result == expected_path.read_text(encoding="utf-8")


def test_every_case_is_complete() -> None:
    assert len(CASES) >= 15
    for case in CASES:
        inputs = list(case.glob("input.*"))
        assert len(inputs) == 1, case.name
        assert CURSOR in inputs[0].read_text(), case.name
        assert (case / "model.txt").exists(), case.name
        assert (case / f"expected{inputs[0].suffix}").exists(), case.name
