"""Structured answers: the schemas we ask for, and turning model text into validated data.

A model may wrap JSON in prose or fences, or break the schema; everything here either
returns a validated pydantic object or raises `AnswerError` with a message short
enough to send back to the model. It never trusts an answer it has not validated.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

Severity = Literal["error", "warning", "information", "hint"]

_SEVERITY_SYNONYMS = {
    "critical": "error",
    "high": "error",
    "fatal": "error",
    "warn": "warning",
    "medium": "warning",
    "info": "information",
    "informational": "information",
    "note": "information",
    "low": "hint",
    "suggestion": "hint",
}


class AIFinding(BaseModel):
    """One problem the model reports. `line` is the file's own 1-based line number."""

    model_config = ConfigDict(extra="ignore")

    line: int = Field(ge=1)
    end_line: int | None = Field(None, ge=1)
    severity: Severity = "warning"
    code: str | None = None
    category: str | None = None
    message: str = Field(min_length=1)
    fix_hint: str | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _known_severity(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            return _SEVERITY_SYNONYMS.get(lowered, lowered)
        return value


class ReviewAnswer(BaseModel):
    """What a review must return.

    One bad finding (a line of 0, an empty message) costs only itself: the others are
    kept and `dropped` counts it. An answer whose findings are all bad is refused, so
    the model is asked again.
    """

    model_config = ConfigDict(extra="ignore")

    findings: list[AIFinding]
    dropped: int = Field(0, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_bad_findings(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("findings"), list):
            return value
        kept: list[AIFinding] = []
        first_problem: ValidationError | None = None
        for item in value["findings"]:
            try:
                kept.append(AIFinding.model_validate(item))
            except ValidationError as exc:
                first_problem = first_problem or exc
        if first_problem is not None and not kept:
            return value  # refused by the field's own validation, with each item's place
        dropped = len(value["findings"]) - len(kept)
        return {**value, "findings": kept, "dropped": dropped}


def review_json_schema() -> dict[str, Any]:
    """The review schema in the strict form `response_format: json_schema` wants."""
    nullable_int = {"type": ["integer", "null"]}
    nullable_str = {"type": ["string", "null"]}
    finding = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "line",
            "end_line",
            "severity",
            "code",
            "category",
            "message",
            "fix_hint",
        ],
        "properties": {
            "line": {"type": "integer"},
            "end_line": nullable_int,
            "severity": {"type": "string", "enum": ["error", "warning", "information", "hint"]},
            "code": nullable_str,
            "category": nullable_str,
            "message": {"type": "string"},
            "fix_hint": nullable_str,
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["findings"],
        "properties": {"findings": {"type": "array", "items": finding}},
    }


class AnswerError(ValueError):
    """The answer is not usable; the message explains why, for the model and for logs."""


_FENCE = re.compile(r"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)

T = TypeVar("T", bound=BaseModel)


def extract_json(text: str) -> Any:
    """The first JSON value found: the whole text, a fenced block, or an object in prose."""
    stripped = text.strip()
    if not stripped:
        raise AnswerError("the answer is empty")
    candidates = [stripped, *(block.strip() for block in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict) or (isinstance(value, list) and value):
            return value
    raise AnswerError("the answer contains no JSON value")


def parse_answer(text: str, model: type[T]) -> T:
    """Validate the JSON in `text` as `model`; a bare list is taken as `{"findings": [...]}`."""
    value = extract_json(text)
    if isinstance(value, list) and "findings" in model.model_fields:
        value = {"findings": value}
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'answer'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise AnswerError(f"the JSON does not match the schema ({problems})") from None
