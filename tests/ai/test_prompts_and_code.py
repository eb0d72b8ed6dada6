"""What the model is shown (numbered lines, context, budgets, fill-in-the-middle) and how
code in its answers is picked, re-indented and verified before it is offered."""

from __future__ import annotations

import pytest

from lantern.ai.code_blocks import extract_code, reindent, syntax_problem
from lantern.ai.context import detect_frameworks, numbered
from lantern.ai.errors import InvalidAnswer, TooLarge
from lantern.ai.prompts import template
from lantern.ai.service import (
    CompletionResult,
    FixResult,
    GenerateResult,
    KnownDiagnostic,
    ReviewResult,
)
from lantern.ai.tokens import estimate_messages, estimate_tokens
from lantern.analysis.languages import language_named
from tests.ai.conftest import PY_SOURCE, provider

PY = language_named("python")
NO_FINDINGS = '{"findings": []}'


def test_every_task_has_a_versioned_template():
    for task in ("review", "fix", "explain", "generate", "complete"):
        assert template(task).version >= 1


def test_numbered_lines_use_the_files_own_numbers():
    assert numbered(["def f():", "    return 1"], 9) == " 9 | def f():\n10 |     return 1"


async def test_review_prompt_shows_the_unit_numbered_with_context_and_known_findings(
    openai_server, make_service
):
    openai_server.reply_with(NO_FINDINGS)
    service = make_service(provider(openai_server))
    known = KnownDiagnostic(line=12, message="writes anywhere", code="LNT-S002", source="lantern")

    result = await service.review("/ws/app.py", PY_SOURCE, 10, 12, known=[known])

    assert isinstance(result, ReviewResult)
    prompt = openai_server.generation_requests[0].json["messages"][1]["content"]
    assert "10 | class Store:\n11 |     def save(self, path, data):" in prompt
    assert "2 | from pathlib import Path" in prompt  # the unit uses `Path`
    assert "import os" not in prompt and "def load" not in prompt  # it uses neither
    assert "eval" not in prompt  # bodies outside the unit are not sent
    assert "line 12 [lantern LNT-S002]: writes anywhere" in prompt
    assert "Language: python" in prompt


async def test_context_shows_the_signatures_the_unit_calls(openai_server, make_service):
    openai_server.reply_with(NO_FINDINGS)
    source = PY_SOURCE + "\n\ndef main():\n    return load('1')\n"
    await make_service(provider(openai_server)).review("/ws/app.py", source, 16, 17)
    prompt = openai_server.generation_requests[0].prompt_text
    assert "5 | def load(text):" in prompt and "class Store" not in prompt


async def test_context_is_trimmed_to_the_budget_and_code_too_large_is_refused(
    openai_server, make_service
):
    openai_server.reply_with(NO_FINDINGS)
    roomy = make_service(provider(openai_server))
    await roomy.review("/ws/app.py", PY_SOURCE, 10, 12)
    full = estimate_messages(openai_server.generation_requests[0].json["messages"])
    tight = make_service(provider(openai_server), max_prompt_tokens={"review": full - 3})
    await tight.review("/ws/app.py", PY_SOURCE, 10, 12)
    prompt = openai_server.generation_requests[1].prompt_text
    assert "def save" in prompt and "from pathlib import Path" not in prompt

    tiny = make_service(provider(openai_server), max_prompt_tokens={"review": 50})
    refused = await tiny.review("/ws/app.py", PY_SOURCE, 5, 7)
    assert isinstance(refused, TooLarge)
    assert "ai.max_prompt_tokens.review" in refused.message
    assert len(openai_server.generation_requests) == 2  # the refused one was never sent


def test_token_estimate_grows_with_text_and_needs_no_vocabulary():
    assert estimate_tokens("") == 0
    assert 3 <= estimate_tokens("def load(text):") <= 8
    assert estimate_tokens(PY_SOURCE * 2) > estimate_tokens(PY_SOURCE) > len(PY_SOURCE) / 6


async def test_completion_uses_fill_in_the_middle_with_the_suffix(openai_server, make_service):
    openai_server.reply_with("eval(text)\n")
    service = make_service(provider(openai_server))

    result = await service.complete("/ws/app.py", PY_SOURCE, 6, 12)

    assert isinstance(result, CompletionResult)
    (request,) = openai_server.generation_requests
    assert request.path == "/v1/completions"
    assert request.json["prompt"].endswith("def load(text):\n    value = ")
    assert request.json["suffix"].startswith("eval(text)\n    return value")
    assert result.text == "eval(text)"


async def test_completion_falls_back_to_chat_where_there_is_no_fill_in_the_middle(
    openai_server, make_service
):
    openai_server.supports_completions = False
    openai_server.reply_with("```python\neval(text)\n```")
    service = make_service(provider(openai_server))

    first = await service.complete("/ws/app.py", PY_SOURCE, 6, 12)
    second = await service.complete("/ws/app.py", PY_SOURCE, 11, 8)

    assert isinstance(first, CompletionResult) and first.text == "eval(text)"
    assert isinstance(second, CompletionResult)
    paths = [r.path for r in openai_server.generation_requests]
    assert paths == ["/v1/completions", "/v1/chat/completions", "/v1/chat/completions"]
    chat = openai_server.generation_requests[1].json
    assert (
        chat["stream"] is True and "value = <|cursor|>eval(text)" in chat["messages"][1]["content"]
    )


async def test_completion_stops_reading_after_enough_lines(openai_server, make_service):
    openai_server.reply_with("".join(f"line{n} = {n}\n" for n in range(30)))
    service = make_service(provider(openai_server))

    result = await service.complete("/ws/app.py", PY_SOURCE, 8, 0, max_lines=3)

    assert isinstance(result, CompletionResult)
    assert result.text.splitlines() == ["line0 = 0", "line1 = 1", "line2 = 2"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Here:\n```python\nx = 1\n```\nDone.", "x = 1"),
        ("```js\nlet a\n```\n```python\ny = 2\nz = 3\n```", "y = 2\nz = 3"),
        ("```\n    indented()\n```", "    indented()"),
        (
            "```python\nshort = 1\n```\n```python\nlonger = 1\nlonger += 1\n```",
            "longer = 1\nlonger += 1",
        ),
        ("```python\nunclosed = True\n", "unclosed = True"),
        ("plain = 'no fences'\n", "plain = 'no fences'"),
        ("~~~python\ntilde = 1\n~~~", "tilde = 1"),
    ],
)
def test_the_right_code_block_is_chosen(answer, expected):
    assert extract_code(answer, PY) == expected


def test_reindent_keeps_relative_indentation():
    assert reindent("def f():\n    return 1", "    ") == "    def f():\n        return 1"


def test_syntax_problems_are_found():
    assert syntax_problem("def f(:\n    pass", PY)
    assert syntax_problem("    if ok:\n        run()", PY) is None  # checked dedented
    assert syntax_problem("x = [1, 2", PY)
    assert syntax_problem("x = [1, 2]", PY) is None


async def test_a_fix_that_does_not_parse_is_reported_never_applied(openai_server, make_service):
    openai_server.reply_with("```python\ndef load(text:\n    return ast.literal_eval(text\n```")
    service = make_service(provider(openai_server))

    result = await service.fix("/ws/app.py", PY_SOURCE, KnownDiagnostic(line=6, message="eval"))

    assert isinstance(result, InvalidAnswer)
    assert "does not parse" in result.message
    second = openai_server.generation_requests[1].json["messages"][-1]["content"]
    assert "does not parse" in second


async def test_a_fix_for_a_method_is_reindented_to_fit_its_class(openai_server, make_service):
    openai_server.reply_with(
        "```python\ndef save(self, path, data):\n"
        "    Path(path).write_text(data, encoding='utf-8')\n```"
    )
    service = make_service(provider(openai_server))

    result = await service.fix(
        "/ws/app.py", PY_SOURCE, KnownDiagnostic(line=12, message="no encoding")
    )

    assert isinstance(result, FixResult), result
    assert (result.start_line, result.end_line) == (11, 12)
    fixed = result.apply(PY_SOURCE)
    assert (
        "    def save(self, path, data):\n        Path(path).write_text(data, encoding='utf-8')\n"
        in fixed
    )
    assert syntax_problem(fixed, PY) is None


async def test_generated_code_goes_under_the_todo_comment(openai_server, make_service, tmp_path):
    source = (
        "import csv\n\n\ndef totals(path):\n    # TODO: parse the CSV and return totals per month\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pandas>=2"]\n'
    )
    openai_server.reply_with(
        "```python\nwith open(path) as handle:\n"
        "    rows = list(csv.reader(handle))\nreturn rows\n```"
    )
    service = make_service(provider(openai_server))

    result = await service.generate(
        "/ws/report.py",
        source,
        6,
        "parse the CSV and return totals per month",
        project_root=tmp_path,
    )

    assert isinstance(result, GenerateResult), result
    assert result.code.startswith("    with open(path) as handle:\n        rows")
    assert syntax_problem(result.apply(source), PY) is None
    system = openai_server.generation_requests[0].json["messages"][0]["content"]
    assert "Frameworks in use: pandas." in system


def test_frameworks_come_from_imports_and_manifests(tmp_path):
    (tmp_path / "package.json").write_text('{"dependencies": {"react": "^18", "express": "4"}}')
    found = detect_frameworks("from fastapi import FastAPI\nimport numpy as np\n", tmp_path)
    assert found == ["Express", "FastAPI", "NumPy", "React"]


@pytest.mark.parametrize(
    ("source", "line", "indent"),
    [
        ("def f():\n    return 1\n\n", 4, ""),  # after a function, at the end of the file
        ("def f():\n    return 1\n\n\n", 4, ""),  # on a blank line at the end
        ("class A:\n    def f(self):\n        return 1\n\n", 5, "    "),  # beside the method
        ("def f():\n    return 1\n    \n", 3, "    "),  # the editor's indentation is kept
        ("def f():\n    x = 1\n", 3, "    "),  # right under the body: still inside
    ],
    ids=["eof-after-function", "blank-line-at-eof", "eof-in-class", "indented-blank", "no-gap"],
)
async def test_generated_code_at_the_end_of_a_file_goes_beside_the_block_above(
    openai_server, make_service, source, line, indent
):
    openai_server.reply_with("```python\ndef g():\n    return 2\n```")
    service = make_service(provider(openai_server))

    result = await service.generate("/ws/tail.py", source, line, "write g")

    assert isinstance(result, GenerateResult), result
    assert result.code.splitlines()[0] == f"{indent}def g():"
    assert syntax_problem(result.apply(source), PY) is None
