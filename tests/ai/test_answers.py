"""Malformed answers end in typed errors, never a crash; structured output is negotiated."""

from __future__ import annotations

import json

import pytest

from lantern.ai.answers import AnswerError, ReviewAnswer, extract_json, parse_answer
from lantern.ai.errors import AIError, InvalidAnswer, ProviderUnavailable
from lantern.ai.service import CompletionResult, ReviewResult
from tests.ai.conftest import PY_SOURCE, provider
from tests.support.openai_server import Fault


def finding(line: int, **extra: object) -> dict[str, object]:
    return {"line": line, "severity": "warning", "message": "eval runs arbitrary code", **extra}


@pytest.mark.parametrize(
    "answer",
    [
        json.dumps({"findings": [finding(6)]}),
        "Here is my review:\n```json\n" + json.dumps({"findings": [finding(6)]}) + "\n```\nBye.",
        "Sure! " + json.dumps({"findings": [finding(6)]}) + " Hope this helps.",
        json.dumps([finding(6)]),
        json.dumps({"findings": [finding(6, severity="Critical", extra_field=1)]}),
    ],
    ids=["plain", "fenced", "prose", "bare-list", "lenient-severity"],
)
def test_json_is_found_wherever_models_put_it(answer):
    (only,) = parse_answer(answer, ReviewAnswer).findings
    assert only.line == 6


@pytest.mark.parametrize(
    "answer",
    ["", "no json here", '{"findings": [{"line": "six"}]}', '{"issues": []}', "```json\n{\n```"],
)
def test_unusable_json_raises_answer_error(answer):
    with pytest.raises(AnswerError):
        parse_answer(answer, ReviewAnswer)


def test_a_json_array_in_prose_is_extracted():
    assert extract_json("The list: [1, 2] and more") == [1, 2]


async def test_findings_outside_the_lines_sent_are_dropped_not_clamped(openai_server, make_service):
    openai_server.reply_with(
        json.dumps({"findings": [finding(6), finding(2), finding(99), finding(6, end_line=40)]})
    )
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ReviewResult)
    assert [(f.line, f.end_line) for f in result.findings] == [(6, None)]
    assert result.dropped == 3


async def test_one_invalid_finding_costs_only_itself(openai_server, make_service):
    """Issue 11, item 13: a finding at line 0 (or with no message) is dropped alone."""
    bad = [finding(0), {"line": 6, "message": ""}]
    openai_server.reply_with(json.dumps({"findings": [finding(6), *bad, finding(7)]}))
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ReviewResult)
    assert [f.line for f in result.findings] == [6, 7]
    assert result.dropped == 2
    assert len(openai_server.generation_requests) == 1  # not asked again


async def test_schema_breaking_answer_is_retried_once_with_the_error(openai_server, make_service):
    openai_server.script('{"findings": [{"line": "six"}]}', json.dumps({"findings": [finding(6)]}))
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ReviewResult) and len(result.findings) == 1
    _, second = openai_server.generation_requests
    correction = second.json["messages"][-1]["content"]
    assert "does not match the schema" in correction and "findings.0.line" in correction
    assert second.json["messages"][-2] == {
        "role": "assistant",
        "content": '{"findings": [{"line": "six"}]}',
    }


async def test_two_unusable_answers_are_an_invalid_answer_error_and_not_cached(
    openai_server, make_service
):
    openai_server.reply_with("I think the code is fine!")
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)
    again = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, InvalidAnswer) and isinstance(again, InvalidAnswer)
    assert "no JSON" in result.message
    assert len(openai_server.generation_requests) == 4


@pytest.mark.parametrize(
    "fault",
    [
        Fault.garbage(),
        Fault.garbage('{"choices": "nope"}'),
        Fault.cut_stream(),
        Fault.server_error(502),
    ],
    ids=["html", "wrong-shape", "truncated-body", "bad-gateway"],
)
async def test_broken_responses_become_typed_errors(openai_server, make_service, fault):
    openai_server.down(fault)
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ProviderUnavailable), result


async def test_a_stream_cut_midway_falls_back_to_the_next_provider(openai_servers, make_service):
    cut, whole = openai_servers(), openai_servers(default_reply="value = 1\n")
    cut.down(Fault.cut_stream(after_chunks=1, content="value = compute(\nmore\n"))
    service = make_service(provider(cut, "cut"), provider(whole, "whole"))

    result = await service.complete("/ws/app.py", PY_SOURCE, 6, 4)

    assert isinstance(result, CompletionResult), result
    assert result.meta.provider == "whole" and result.text == "value = 1"
    assert service.stats()["providers"][0]["failures"] == {"bad_response": 1}


async def test_json_schema_then_json_mode_then_plain_text_as_the_endpoint_allows(
    openai_server, make_service
):
    openai_server.supports_json_schema = False
    openai_server.supports_json_object = False
    openai_server.reply_with(json.dumps({"findings": []}))
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)
    await service.review("/ws/app.py", PY_SOURCE, 9, 12)

    assert isinstance(result, ReviewResult)
    formats = [
        (r.json.get("response_format") or {}).get("type") for r in openai_server.generation_requests
    ]
    assert formats == ["json_schema", "json_object", None, None]  # learned for the next call
    assert service.stats()["providers"][0]["structured_output"] == "text"


async def test_json_schema_request_is_strict_and_complete(openai_server, make_service):
    openai_server.reply_with(json.dumps({"findings": []}))
    service = make_service(provider(openai_server))

    await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    schema = openai_server.generation_requests[0].json["response_format"]["json_schema"]
    assert schema["strict"] is True
    item = schema["schema"]["properties"]["findings"]["items"]
    assert (
        set(item["required"])
        == set(item["properties"])
        == {"line", "end_line", "severity", "code", "category", "message", "fix_hint"}
    )


@pytest.mark.parametrize(
    "answer",
    [
        "null",
        '{"findings": null}',
        '{"findings": [{"line": -1, "message": "x"}]}',
        '{"findings": [{"line": 6, "message": ""}]}',
        '{"findings": [{"line": 6, "message": "x", "severity": "catastrophic"}]}',
        "\x00\x01\x02",
        "{" * 5000,
    ],
)
async def test_malformed_review_answers_end_in_a_typed_error(openai_server, make_service, answer):
    openai_server.reply_with(answer)
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, AIError)
    assert isinstance(result, InvalidAnswer), result
