"""The AI facade: review, fix, explain, generate and complete, each returning a typed
result or an `AIError` value; plus `stats()` and `check_providers()` for status.

Every call is guarded in the same order: disabled, not configured, excluded file,
redaction, budget, cache, single-flight, providers. With `ai.enabled = false` nothing
is ever sent. It holds no LSP types; positions are 1-based lines and str columns.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from lantern.ai import code_blocks
from lantern.ai.answers import (
    AIFinding,
    AnswerError,
    ReviewAnswer,
    parse_answer,
    review_json_schema,
)
from lantern.ai.context import detect_frameworks, enclosing_unit, numbered, outline
from lantern.ai.errors import (
    AIError,
    Cancelled,
    Disabled,
    Excluded,
    InvalidAnswer,
    ProviderUnavailable,
    TooLarge,
)
from lantern.ai.inflight import CallerCancelled, SingleFlight
from lantern.ai.limits import Clock
from lantern.ai.privacy import Exclusions, Redactor, scrub
from lantern.ai.prompts import PromptTemplate, template
from lantern.ai.providers import Provider, ProviderFailure, ProviderPool, Reply
from lantern.ai.stats import Stats, health
from lantern.ai.tokens import around_cursor, estimate_messages, estimate_tokens, take_lines_within
from lantern.analysis.languages import LanguageSpec, detect_language, language_named
from lantern.cache import AnswerCache, open_cache
from lantern.config import Settings, Task

log = logging.getLogger("lantern.ai")

# -- inputs and results ----------------------------------------------------------------


@dataclass(frozen=True)
class KnownDiagnostic:
    """A diagnostic the client already has (static or from other servers)."""

    line: int  # 1-based
    message: str
    code: str | None = None
    end_line: int | None = None
    severity: str | None = None
    source: str | None = None

    def describe(self) -> str:
        where = f"line {self.line}" + (
            f"-{self.end_line}" if self.end_line and self.end_line != self.line else ""
        )
        label = " ".join(part for part in (self.source, self.code) if part)
        return f"{where}" + (f" [{label}]" if label else "") + f": {self.message}"


class AnswerMeta(BaseModel):
    """Where an answer came from and what it cost."""

    task: str
    provider: str
    model: str
    prompt_version: int
    cached: bool
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None


class ReviewResult(BaseModel):
    findings: list[AIFinding]
    dropped: int  # findings the model placed outside the lines it was shown
    meta: AnswerMeta


class FixResult(BaseModel):
    """Replace lines `start_line`..`end_line` (1-based, inclusive) with `new_text`."""

    start_line: int
    end_line: int
    new_text: str  # no trailing newline; the replaced lines' own final newline stays
    explanation: str | None
    validated: bool  # parsed with tree-sitter without new syntax errors
    meta: AnswerMeta

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        ending = lines[self.end_line - 1][len(lines[self.end_line - 1].rstrip("\r\n")) :]
        replacement = self.new_text + (ending or "")
        return "".join(lines[: self.start_line - 1]) + replacement + "".join(lines[self.end_line :])


class ExplainResult(BaseModel):
    markdown: str
    meta: AnswerMeta


class GenerateResult(BaseModel):
    """Insert `code` (plus a newline) before 1-based `line`."""

    line: int
    code: str
    validated: bool
    meta: AnswerMeta

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n") and self.line > len(lines):
            lines[-1] += "\n"
        return "".join(lines[: self.line - 1]) + self.code + "\n" + "".join(lines[self.line - 1 :])


class GeneratedFile(BaseModel):
    path: str  # relative to the project root, "/"-separated, never absolute or above it
    content: str
    validated: bool  # in a language Lantern parses, and it parsed without errors


class GenerateFilesResult(BaseModel):
    files: list[GeneratedFile]
    meta: AnswerMeta


class CompletionResult(BaseModel):
    """Text to insert at the cursor (may be empty: nothing worth suggesting)."""

    text: str
    meta: AnswerMeta


R = TypeVar("R")

_TEMPERATURE: dict[str, float] = {
    "review": 0.0,
    "fix": 0.0,
    "explain": 0.2,
    "generate": 0.2,
    "complete": 0.0,
}
CURSOR = "<|cursor|>"
INSERT_HERE = "<|insert here|>"


@dataclass
class _Job:
    """One task's prepared request, everything needed to ask and to cache."""

    task: Task
    prompt: PromptTemplate
    messages: list[dict[str, str]]
    redactor: Redactor
    parse: Callable[[str], Any]  # model text -> JSON-able payload; raises AnswerError
    correction: str  # what to ask for when the first answer was unusable
    schema: tuple[str, dict[str, Any]] | None = None
    fim: tuple[str, str] | None = None  # (prefix, suffix) for fill-in-the-middle
    max_lines: int | None = None
    on_text: Callable[[str], None] | None = None  # streamed progress for this caller

    @property
    def estimated_tokens(self) -> int:
        return estimate_messages(self.messages)


class AIService:
    """The one object the server and the CLI use for anything involving a model."""

    def __init__(
        self,
        settings: Settings,
        cache: AnswerCache | None = None,
        *,
        workspace_root: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.stats_counters = Stats()
        self.cache = cache if cache is not None else open_cache(settings.cache)
        self._flights = SingleFlight()
        self._env = os.environ if env is None else env
        self.workspace_root = Path(workspace_root) if workspace_root is not None else None
        self.reconfigure(settings)

    def reconfigure(self, settings: Settings) -> None:
        """Apply new settings; counters and the cache survive, breakers start afresh."""
        self.settings = settings
        self.pool = ProviderPool(settings.ai, self.clock, self.stats_counters, self._env)
        self._exclusions: Exclusions | None = None

    @property
    def exclusions(self) -> Exclusions:
        if self._exclusions is None:  # pathspec is imported on first use
            patterns = [*self.settings.exclude, *self.settings.ai.exclude]
            self._exclusions = Exclusions(patterns, self.workspace_root)
        return self._exclusions

    async def aclose(self) -> None:
        await self.pool.close()
        self.cache.close()

    # -- the tasks ---------------------------------------------------------------------

    async def review(
        self,
        path: str,
        source: str,
        start_line: int,
        end_line: int,
        *,
        language: str | None = None,
        known: Sequence[KnownDiagnostic] = (),
        cancel: asyncio.Event | None = None,
    ) -> ReviewResult | AIError:
        """Findings for lines `start_line`..`end_line` (one function or class) of `source`."""

        def prepare() -> _Job:
            spec = _language(path, language)
            redactor = Redactor.for_source(source, path, language)
            lines = redactor.redact(source).splitlines()
            start, end = _clamp_range(start_line, end_line, len(lines))
            code = numbered(lines[start - 1 : end], start)
            prompt = template("review")
            base = {
                "path": _display_path(path),
                "language": spec.name if spec else _language_label(path),
                "known_findings": "\n".join(
                    redactor.redact(f"- {d.describe()}") for d in known if start <= d.line <= end
                )
                or "(none)",
                "start_line": start,
                "end_line": end,
                "code": code,
            }
            context_lines = _outline_lines(redactor.redact(source), spec, (start, end))
            messages = self._fit("review", prompt, base, "context", context_lines)

            def parse(text: str) -> Any:
                answer = parse_answer(text, ReviewAnswer)
                return {**answer.model_dump(), "dropped": answer.dropped}

            return _Job(
                "review",
                prompt,
                messages,
                redactor,
                parse,
                correction="Reply with only the JSON object described, nothing else.",
                schema=("review", review_json_schema()),
            )

        def finish(payload: Any, job: _Job, meta: AnswerMeta) -> ReviewResult:
            start, end = _clamp_range(start_line, end_line, len(source.splitlines()))
            kept: list[AIFinding] = []
            for item in ReviewAnswer.model_validate(payload).findings:
                last = item.end_line if item.end_line is not None else item.line
                if start <= item.line <= end and item.line <= last <= end:
                    kept.append(_masked_finding(item, job.redactor))
            invalid = payload.get("dropped", 0)  # findings that failed validation
            return ReviewResult(
                findings=kept, dropped=invalid + len(payload["findings"]) - len(kept), meta=meta
            )

        return await self._run("review", path, prepare, finish, cancel)

    async def fix(
        self,
        path: str,
        source: str,
        diagnostic: KnownDiagnostic,
        *,
        start_line: int | None = None,
        end_line: int | None = None,
        others: Sequence[KnownDiagnostic] = (),
        language: str | None = None,
        cancel: asyncio.Event | None = None,
    ) -> FixResult | AIError:
        """A replacement for the code around `diagnostic` (by default its enclosing
        function or class) that fixes it; verified to parse before it is returned."""
        spec = _language(path, language)
        total = len(source.splitlines())
        if start_line is None or end_line is None:
            unit = enclosing_unit(source, spec, diagnostic.line) if spec else None
            start_line, end_line = (
                (unit.start_line, unit.end_line)
                if unit
                else (diagnostic.line, diagnostic.end_line or diagnostic.line)
            )
        start, end = _clamp_range(start_line, end_line, total)
        original_lines = source.splitlines()[start - 1 : end]
        indent = code_blocks.leading_indent("\n".join(original_lines))

        def prepare() -> _Job:
            redactor = Redactor.for_source(source, path, language)
            lines = redactor.redact(source).splitlines()
            prompt = template("fix")
            values = {
                "path": _display_path(path),
                "language": spec.name if spec else _language_label(path),
                "fence": spec.name if spec else "",
                "diagnostic": redactor.redact(diagnostic.describe()),
                "other_diagnostics": "\n".join(
                    redactor.redact(f"- {d.describe()}") for d in others if d != diagnostic
                )
                or "(none)",
                "start_line": start,
                "end_line": end,
                "code": "\n".join(lines[start - 1 : end]),
            }
            messages = self._fit("fix", prompt, values)

            def parse(text: str) -> Any:
                code = code_blocks.reindent(code_blocks.extract_code(text, spec), indent)
                if not code.strip():
                    raise AnswerError("the answer holds no code")
                restored = redactor.restore(code)
                problem = _splice_problem(source, start, end, restored, spec)
                if problem:
                    raise AnswerError(problem)
                return {"code": code, "explanation": _prose_after_code(text)}

            return _Job(
                "fix",
                prompt,
                messages,
                redactor,
                parse,
                correction="Reply with the complete corrected code in one fenced block.",
            )

        def finish(payload: Any, job: _Job, meta: AnswerMeta) -> FixResult:
            explanation = payload.get("explanation")
            return FixResult(
                start_line=start,
                end_line=end,
                new_text=job.redactor.restore(payload["code"]),
                explanation=job.redactor.mask(explanation) if explanation else None,
                validated=spec is not None,
                meta=meta,
            )

        return await self._run("fix", path, prepare, finish, cancel)

    async def explain(
        self,
        path: str,
        source: str,
        start_line: int,
        end_line: int,
        *,
        question: str | None = None,
        language: str | None = None,
        cancel: asyncio.Event | None = None,
    ) -> ExplainResult | AIError:
        """A Markdown explanation of lines `start_line`..`end_line`, optionally answering
        `question` (e.g. a diagnostic's message: "why is this flagged?")."""

        def prepare() -> _Job:
            spec = _language(path, language)
            redactor = Redactor.for_source(source, path, language)
            redacted = redactor.redact(source)
            lines = redacted.splitlines()
            start, end = _clamp_range(start_line, end_line, len(lines))
            prompt = template("explain")
            values = {
                "path": _display_path(path),
                "language": spec.name if spec else _language_label(path),
                "question": f"Question: {redactor.redact(question)}" if question else "",
                "start_line": start,
                "end_line": end,
                "code": numbered(lines[start - 1 : end], start),
            }
            context_lines = _outline_lines(redacted, spec, (start, end))
            messages = self._fit("explain", prompt, values, "context", context_lines)

            def parse(text: str) -> Any:
                if not text.strip():
                    raise AnswerError("the answer is empty")
                return {"markdown": text.strip()}

            return _Job(
                "explain", prompt, messages, redactor, parse, correction="Explain the code."
            )

        def finish(payload: Any, job: _Job, meta: AnswerMeta) -> ExplainResult:
            return ExplainResult(markdown=job.redactor.mask(payload["markdown"]), meta=meta)

        return await self._run("explain", path, prepare, finish, cancel)

    async def generate(
        self,
        path: str,
        source: str,
        line: int,
        instruction: str,
        *,
        language: str | None = None,
        project_root: str | os.PathLike[str] | None = None,
        cancel: asyncio.Event | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> GenerateResult | AIError:
        """Code doing `instruction`, to insert before 1-based `line` (e.g. the line after a
        `# TODO: ...` comment); verified to parse in place before it is returned. The
        answer is streamed to `on_text` (the text so far) when given."""
        spec = _language(path, language)
        lines_original = source.splitlines()
        line = max(1, min(line, len(lines_original) + 1))
        indent = _indent_at(lines_original, line)
        root = Path(project_root) if project_root is not None else self.workspace_root

        def prepare() -> _Job:
            redactor = Redactor.for_source(source, path, language)
            lines = redactor.redact(source).splitlines()
            prompt = template("generate")
            frameworks = detect_frameworks(source, root)
            values = {
                "path": _display_path(path),
                "language": spec.name if spec else _language_label(path),
                "fence": spec.name if spec else "",
                "frameworks": ", ".join(frameworks) or "none detected",
                "instruction": redactor.redact(instruction),
                "marker": INSERT_HERE,
            }
            budget = self._budget("generate") - estimate_messages(prompt.render(**values, code=""))
            before, after = around_cursor(lines[: line - 1], lines[line - 1 :], max(budget, 0))
            window = [*lines[line - 1 - before : line - 1], indent + INSERT_HERE]
            window += lines[line - 1 : line - 1 + after]
            messages = prompt.render(**values, code="\n".join(window))

            def parse(text: str) -> Any:
                code = code_blocks.reindent(code_blocks.extract_code(text, spec), indent)
                if not code.strip():
                    raise AnswerError("the answer holds no code")
                if spec is not None:
                    spliced = "\n".join([*lines_original[: line - 1], redactor.restore(code)])
                    spliced += "\n" + "\n".join(lines_original[line - 1 :])
                    if len(code_blocks.error_lines(spliced, spec)) > len(
                        code_blocks.error_lines(source, spec)
                    ):
                        problem = code_blocks.syntax_problem(code, spec) or "it breaks the file"
                        raise AnswerError(f"the code does not parse in place: {problem}")
                return {"code": code}

            return _Job(
                "generate",
                prompt,
                messages,
                redactor,
                parse,
                correction="Reply with only the code, complete and valid, in one fenced block.",
                on_text=on_text,
            )

        def finish(payload: Any, job: _Job, meta: AnswerMeta) -> GenerateResult:
            return GenerateResult(
                line=line,
                code=job.redactor.restore(payload["code"]),
                validated=spec is not None,
                meta=meta,
            )

        return await self._run("generate", path, prepare, finish, cancel)

    async def generate_files(
        self,
        path: str,
        source: str,
        instruction: str,
        *,
        kind: str = "files",
        targets: Sequence[str] = (),
        layout: Sequence[str] = (),
        language: str | None = None,
        project_root: str | os.PathLike[str] | None = None,
        cancel: asyncio.Event | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> GenerateFilesResult | AIError:
        """New files doing `instruction` (`kind`: files, tests, api, ui, cli, ...), asked
        from the file at `path` (context). `targets` suggests paths; `layout` lists the
        project's top-level entries. Each file's path is checked (relative, inside the
        project) and each file in a known language must parse."""
        spec = _language(path, language)
        root = Path(project_root) if project_root is not None else self.workspace_root

        def prepare() -> _Job:
            redactor = Redactor.for_source(source, path, language)
            prompt = template("generate", "generate_files")
            values = {
                "path": _display_path(path),
                "language": spec.name if spec else _language_label(path),
                "fence": spec.name if spec else "",
                "frameworks": ", ".join(detect_frameworks(source, root)) or "none detected",
                "instruction": redactor.redact(instruction),
                "kind": kind,
                "targets": "Write it to: " + ", ".join(targets) if targets else "",
                "layout": ", ".join(layout) or "(empty)",
            }
            budget = self._budget("generate") - estimate_messages(prompt.render(**values, code=""))
            lines = redactor.redact(source).splitlines()
            kept = take_lines_within(lines, max(budget, 0))
            messages = prompt.render(**values, code="\n".join(kept))

            def parse(text: str) -> Any:
                files = []
                for name, content in code_blocks.files_in_answer(text):
                    if not _safe_relative(name):
                        raise AnswerError(f"`{name}` is not a path inside the project")
                    file_spec = detect_language(name)
                    if file_spec is not None and (
                        problem := code_blocks.syntax_problem(content, file_spec)
                    ):
                        raise AnswerError(f"`{name}` does not parse: {problem}")
                    files.append({"path": name, "content": content, "validated": bool(file_spec)})
                if not files:
                    raise AnswerError(
                        "the answer names no file (a `File: <path>` line before each block)"
                    )
                return {"files": files}

            return _Job(
                "generate",
                prompt,
                messages,
                redactor,
                parse,
                correction="Answer with `File: <path>` lines, each followed by one fenced block.",
                on_text=on_text,
            )

        def finish(payload: Any, job: _Job, meta: AnswerMeta) -> GenerateFilesResult:
            files = [
                GeneratedFile(**{**item, "content": job.redactor.restore(item["content"])})
                for item in payload["files"]
            ]
            return GenerateFilesResult(files=files, meta=meta)

        return await self._run("generate", path, prepare, finish, cancel)

    async def complete(
        self,
        path: str,
        source: str,
        line: int,
        column: int,
        *,
        language: str | None = None,
        max_lines: int = 8,
        cancel: asyncio.Event | None = None,
    ) -> CompletionResult | AIError:
        """Text to insert at 1-based `line`, `column` (a str index into that line):
        fill-in-the-middle where the provider supports it, chat otherwise."""
        lines_original = source.splitlines()
        line = max(1, min(line, len(lines_original) + 1))

        def prepare() -> _Job:
            spec = _language(path, language)
            redactor = Redactor.for_source(source, path, language)
            lines = redactor.redact(source).splitlines() or [""]
            current = lines[line - 1] if line - 1 < len(lines) else ""
            # The redacted line may differ in length: cut at the original column's text.
            original_current = lines_original[line - 1] if line - 1 < len(lines_original) else ""
            head = redactor.redact(original_current[:column])
            tail = current[len(head) :] if current.startswith(head) else ""
            prompt = template("complete")
            values = {
                "path": _display_path(path),
                "language": spec.name if spec else _language_label(path),
                "marker": CURSOR,
                "max_lines": max_lines,
            }
            budget = self._budget("complete") - estimate_messages(prompt.render(**values, code=""))
            budget -= estimate_tokens(current)
            before, after = around_cursor(lines[: line - 1], lines[line:], max(budget, 0))
            prefix = "\n".join([*lines[line - 1 - before : line - 1], head])
            suffix = "\n".join([tail, *lines[line : line + after]])
            messages = prompt.render(**values, code=f"{prefix}{CURSOR}{suffix}")

            def parse(text: str) -> Any:
                return {"text": _clean_completion(text, suffix, max_lines, spec)}

            return _Job(
                "complete",
                prompt,
                messages,
                redactor,
                parse,
                correction="Reply with only the code to insert.",
                fim=(prefix, suffix),
                max_lines=max_lines,
            )

        def finish(payload: Any, job: _Job, meta: AnswerMeta) -> CompletionResult:
            return CompletionResult(text=job.redactor.restore(payload["text"]), meta=meta)

        return await self._run("complete", path, prepare, finish, cancel)

    # -- reviews remembered per unit --------------------------------------------------

    def reviewed_unit(self, digest: str) -> tuple[list[AIFinding], str] | None:
        """What a review said about the unit whose text hashes to `digest` (findings with
        lines relative to the unit's first line, and the model), if it is cached.

        Blocking disk I/O: call it from a worker thread."""
        stored = self.cache.get(self._unit_key(digest))
        if stored is None:
            return None
        self.stats_counters.cache_hit(stored["provider"], "review")
        return [AIFinding.model_validate(f) for f in stored["findings"]], stored["model"]

    def remember_unit(
        self, digest: str, findings: Sequence[AIFinding], model: str, provider: str
    ) -> None:
        """Cache a unit's findings (lines relative to the unit), so a re-open, in this
        server or the next, needs no request even when units are batched differently."""
        value = {
            "findings": [f.model_dump() for f in findings],
            "model": model,
            "provider": provider,
        }
        self.cache.set(self._unit_key(digest), value, self.settings.cache.ttl_seconds["review"])

    def _unit_key(self, digest: str) -> str:
        route = [(p.name, p.settings.model) for p in self.pool.route("review")]
        material = json.dumps([template("review").version, route, digest])
        return f"review:unit:{hashlib.sha256(material.encode()).hexdigest()}"

    # -- status ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Plain data: configuration health, counters per provider and task, the cache."""
        providers = []
        for provider in self.pool.providers.values():
            total, by_task = self.stats_counters.for_provider(provider.name)
            counters = total.to_dict()
            providers.append(
                {
                    "name": provider.name,
                    "model": provider.settings.model,
                    "base_url": scrub(provider.settings.base_url),
                    "azure": provider.settings.api_version is not None,
                    "api_key": _key_status(provider),
                    "tasks": [t for t, route in self.pool.routes.items() if provider in route],
                    "circuit": provider.breaker.state,
                    "consecutive_failures": provider.breaker.failures,
                    "health": health(
                        counters["latency_ms"]["p50"],
                        provider.breaker.failures,
                        provider.breaker.state,
                    ),
                    "structured_output": provider.structured_mode,
                    "fill_in_middle": provider.fill_in_middle,
                    **counters,
                    "by_task": by_task,
                }
            )
        return {
            "enabled": self.settings.ai.enabled,
            "configured": bool(self.pool.providers),
            "providers": providers,
            "routes": {task: [p.name for p in route] for task, route in self.pool.routes.items()},
            "tasks": self.stats_counters.by_task(),
            "in_flight": self._flights.in_flight,
            "cache": self.cache.stats(),
            "warnings": list(self.pool.warnings),
        }

    async def check_providers(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Probe every provider with cheap requests (model list, a one-word answer).

        Returns one entry per provider: reachable, model present, latency, usable, error.
        Sends nothing when AI is disabled.
        """
        if not self.settings.ai.enabled:
            return []
        return list(
            await asyncio.gather(
                *(self._check(provider, timeout) for provider in self.pool.providers.values())
            )
        )

    async def _check(self, provider: Provider, timeout: float) -> dict[str, Any]:
        result: dict[str, Any] = {
            "name": provider.name,
            "model": provider.settings.model,
            "base_url": scrub(provider.settings.base_url),
            "api_key": _key_status(provider),
            "reachable": False,
            "model_present": None,
            "latency_ms": None,
            "usable": False,
            "error": None,
        }
        if provider.key_missing:
            result["error"] = f"the environment variable {provider.settings.api_key_env} is not set"
            return result
        try:
            models = await provider.list_models(timeout)
            result["reachable"] = True
            if models:
                result["model_present"] = provider.settings.model in models
        except ProviderFailure as failure:
            if failure.kind in ("connection", "timeout"):
                result["error"] = failure.message
                return result
            result["reachable"] = True  # it answered, if only to refuse listing models
        try:
            reply = await provider.chat(
                [{"role": "user", "content": "Reply with the single word: ok"}],
                max_tokens=5,
                temperature=0.0,
                timeout=timeout,
                retries=0,
            )
        except ProviderFailure as failure:
            result["error"] = failure.message
            if failure.kind == "model_not_found":
                result["model_present"] = False
            elif failure.kind in ("connection", "timeout"):
                result["reachable"] = False
            return result
        result.update(reachable=True, usable=True, latency_ms=round(reply.latency_ms, 1))
        if result["model_present"] is None:
            result["model_present"] = True
        return result

    # -- the pipeline ------------------------------------------------------------------

    async def _run(
        self,
        task: Task,
        path: str,
        prepare: Callable[[], _Job],
        finish: Callable[[Any, _Job, AnswerMeta], R],
        cancel: asyncio.Event | None,
    ) -> R | AIError:
        try:
            if not self.settings.ai.enabled:
                return Disabled(
                    "AI features are turned off (`ai.enabled = false`); nothing was sent."
                )
            if not self.pool.route(task):
                return self.pool.not_configured(task)
            if reason := self.exclusions.reason(path):
                return Excluded(f"Not sent to a model: {reason}.", path=path)
            if cancel is not None and cancel.is_set():
                return Cancelled(f"`{task}` was cancelled before it started.")
            job = prepare()
            for provider in self.pool.route(task):
                # The disk may be slow or locked: keep the event loop free meanwhile.
                stored = await asyncio.to_thread(self.cache.get, self._cache_key(job, provider))
                if stored is not None:
                    self.stats_counters.cache_hit(stored["provider"], task)
                    meta = AnswerMeta(
                        task=task,
                        provider=stored["provider"],
                        model=stored["model"],
                        prompt_version=job.prompt.version,
                        cached=True,
                    )
                    return finish(stored["payload"], job, meta)
            flight_key = self._flight_key(job)
            stored = await self._flights.run(flight_key, lambda: self._ask(job), cancel)
            meta = AnswerMeta(
                task=task,
                provider=stored["provider"],
                model=stored["model"],
                prompt_version=job.prompt.version,
                cached=False,
                prompt_tokens=stored["prompt_tokens"],
                completion_tokens=stored["completion_tokens"],
                latency_ms=stored["latency_ms"],
            )
            return finish(stored["payload"], job, meta)
        except CallerCancelled:
            return Cancelled(f"`{task}` was cancelled; its request was aborted.")
        except AIError as error:
            return error
        except Exception as exc:  # a bug must not take the editor down with it
            log.exception("Unexpected failure in AI %s", task)
            return ProviderUnavailable(f"Internal error during `{task}`: {type(exc).__name__}")

    async def _ask(self, job: _Job) -> dict[str, Any]:
        """Ask the providers; on an unusable answer, ask the same provider once more with
        the reason. Only a usable answer is cached."""
        deadline = self.clock.monotonic() + self.settings.ai.deadline_seconds[job.task]
        provider, reply = await self.pool.call(
            job.task,
            lambda p, timeout: self._request(p, job, job.messages, timeout),
            estimated_tokens=job.estimated_tokens + self._answer_tokens(job.task),
            deadline=deadline,
        )
        try:
            payload = job.parse(reply.text)
        except AnswerError as first:
            log.info("%s: unusable %s answer (%s); asking again", provider.name, job.task, first)
            self.stats_counters.failed(provider.name, job.task, "invalid_answer")
            retry = [
                *job.messages,
                {"role": "assistant", "content": job.redactor.redact(reply.text[:6000])},
                {
                    "role": "user",
                    "content": f"Your answer could not be used: {first}. {job.correction}",
                },
            ]
            retry_job = _Job(**{**job.__dict__, "messages": retry, "fim": None})
            _, reply = await self.pool.call(
                job.task,
                lambda p, timeout: self._request(p, retry_job, retry, timeout),
                estimated_tokens=retry_job.estimated_tokens + self._answer_tokens(job.task),
                deadline=deadline,
                only=provider,
            )
            try:
                payload = job.parse(reply.text)
            except AnswerError as second:
                self.stats_counters.failed(provider.name, job.task, "invalid_answer")
                raise InvalidAnswer(
                    f"{provider.name} gave no usable `{job.task}` answer, even when asked again: "
                    f"{second}.",
                    provider=provider.name,
                ) from None
        stored = {
            "payload": payload,
            "provider": provider.name,
            "model": provider.settings.model,
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "latency_ms": round(reply.latency_ms, 1),
        }
        await asyncio.to_thread(
            self.cache.set,
            self._cache_key(job, provider),
            {k: stored[k] for k in ("payload", "provider", "model")},
            self.settings.cache.ttl_seconds[job.task],
        )
        return stored

    async def _request(
        self, provider: Provider, job: _Job, messages: list[dict[str, str]], timeout: float
    ) -> Reply:
        max_tokens = self._answer_tokens(job.task)
        if job.fim is not None and provider.fill_in_middle is not False:
            try:
                return await provider.complete_code(
                    *job.fim,
                    max_tokens=max_tokens,
                    timeout=timeout,
                    stop_after_lines=job.max_lines or 8,
                )
            except ProviderFailure:
                if provider.fill_in_middle is not False:
                    raise  # a real failure, not a missing FIM route
        return await provider.chat(
            messages,
            max_tokens=max_tokens,
            temperature=_TEMPERATURE[job.task],
            timeout=timeout,
            schema=job.schema,
            stream=job.task == "complete" or job.on_text is not None,
            stop_after_lines=job.max_lines,
            on_text=job.on_text,
        )

    # -- helpers -----------------------------------------------------------------------

    def _budget(self, task: Task) -> int:
        return self.settings.ai.max_prompt_tokens[task]

    def _answer_tokens(self, task: Task) -> int:
        return self.settings.ai.max_answer_tokens[task]

    def _fit(
        self,
        task: Task,
        prompt: PromptTemplate,
        values: dict[str, Any],
        context_key: str | None = None,
        context_lines: Sequence[str] = (),
    ) -> list[dict[str, str]]:
        """Render `prompt`, trimming `context_lines` to the task's budget; the code
        itself is never trimmed: if it does not fit, the task is TooLarge."""
        bare = prompt.render(**values, **({context_key: "(none)"} if context_key else {}))
        spare = self._budget(task) - estimate_messages(bare)
        if spare < 0:
            raise TooLarge(
                f"The code is about {estimate_messages(bare)} tokens, over the `{task}` budget "
                f"of {self._budget(task)} (`ai.max_prompt_tokens.{task}`); select less code.",
            )
        if context_key is None:
            return bare
        kept = take_lines_within(list(context_lines), spare)
        return prompt.render(**values, **{context_key: "\n".join(kept) or "(none)"})

    def _cache_key(self, job: _Job, provider: Provider) -> str:
        material = {
            "task": job.task,
            "prompt_version": job.prompt.version,
            "model": provider.settings.model,
            "temperature": _TEMPERATURE[job.task],
            "max_tokens": self._answer_tokens(job.task),
            "max_lines": job.max_lines,
            "messages": job.messages,
            "fim": job.fim,
        }
        digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
        return f"{job.task}:{digest}"

    def _flight_key(self, job: _Job) -> str:
        route = [p.name for p in self.pool.route(job.task)]
        material = {"route": route, "messages": job.messages, "fim": job.fim, "task": job.task}
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# -- small pure helpers ----------------------------------------------------------------


def _language(path: str, name: str | None) -> LanguageSpec | None:
    if name and (spec := language_named(name) or detect_language(path, name)):
        return spec
    return detect_language(path)


def _language_label(path: str) -> str:
    return Path(path).suffix.lstrip(".") or "text"


def _display_path(path: str) -> str:
    """The file's name and parent only: the model needs a hint, not the user's home layout."""
    parts = Path(path.removeprefix("file://")).parts
    return "/".join(parts[-2:]) if parts else path


def _safe_relative(name: str) -> bool:
    """A relative "/"-separated path that stays inside the project."""
    parts = name.replace("\\", "/").split("/")
    return (
        bool(name) and not name.startswith(("/", "~")) and ":" not in parts[0] and ".." not in parts
    )


def _clamp_range(start: int, end: int, total: int) -> tuple[int, int]:
    total = max(total, 1)
    start = max(1, min(start, total))
    return start, max(start, min(end, total))


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The name a definition header defines: `def f(`, `class C`, `func (r T) M(`, `function g`.
_DEFINED = re.compile(
    r"\b(?:def|class|func|function|fn|interface|type|struct|enum|trait|impl)\s+"
    r"(?:\([^)]*\)\s*)?([A-Za-z_][A-Za-z0-9_]*)"
)


def _outline_lines(source: str, spec: LanguageSpec | None, skip: tuple[int, int]) -> list[str]:
    """Imports and signatures from outside lines `skip` that the code in `skip` uses.

    A signature is kept when the code mentions the name it defines, an import when the
    code mentions a name it binds: the rest of a large file costs tokens and says nothing
    about this unit (and would make every unit's prompt change when any signature does).
    """
    if spec is None:
        return []
    lines = source.splitlines()
    used = set(_IDENTIFIER.findall("\n".join(lines[skip[0] - 1 : skip[1]])))
    kept = []
    for number, text in outline(source, spec, skip):
        defined = _DEFINED.search(text)
        names = {defined.group(1)} if defined else set(_IDENTIFIER.findall(text))
        if names & used:
            kept.append((number, text))
    width = len(str(kept[-1][0])) if kept else 1
    return [f"{number:>{width}} | {text}" for number, text in kept]


def _masked_finding(finding: AIFinding, redactor: Redactor) -> AIFinding:
    return finding.model_copy(
        update={
            "message": redactor.mask(finding.message),
            "fix_hint": redactor.mask(finding.fix_hint) if finding.fix_hint else None,
        }
    )


def _splice_problem(
    source: str, start: int, end: int, code: str, spec: LanguageSpec | None
) -> str | None:
    """Why replacing lines start..end with `code` breaks the file, or None if it does not.

    The file may not get more syntax errors, and the replaced lines must end up clean
    or at least cleaner than before (when the fix is for a syntax error).
    """
    if spec is None:
        return None
    lines = source.splitlines()
    spliced = "\n".join([*lines[: start - 1], code, *lines[end:]])
    before = code_blocks.error_lines(source, spec)
    after = code_blocks.error_lines(spliced, spec)
    new_end = start + len(code.splitlines()) - 1
    region_before = [n for n in before if start <= n <= end]
    region_after = [n for n in after if start <= n <= new_end]
    if len(after) <= len(before) and (not region_after or len(region_after) < len(region_before)):
        return None
    problem = code_blocks.syntax_problem(code, spec) or "it breaks the surrounding file"
    return f"the code does not parse: {problem}"


def _prose_after_code(answer: str) -> str | None:
    """The explanation models put after the fenced block, if any."""
    marker = answer.rfind("```")
    if marker == -1:
        return None
    rest = answer[marker + 3 :].strip()
    return rest[:500] or None


def _indent_at(lines: list[str], line: int) -> str:
    """Indentation for code inserted before `line`: that of the nearest non-blank line
    above (a TODO comment sits where the code belongs), or of the next line below when
    the line above opens a block, or when a blank line separates the insertion point
    from a deeper block above, or the insertion point is itself a blank line (after a
    function, the code goes beside it, not inside)."""
    above_at = next(
        (i for i in range(min(line - 1, len(lines)) - 1, -1, -1) if lines[i].strip()), None
    )
    above = lines[above_at] if above_at is not None else ""
    below = next((text for text in lines[line - 1 :] if text.strip()), "")
    indent_above = code_blocks.leading_indent(above)
    indent_below = code_blocks.leading_indent(below)
    if above.rstrip().endswith((":", "{")):
        if len(indent_below) > len(indent_above):
            return indent_below
        return indent_above + "    "
    # A blank line between, or the insertion point itself on a blank line.
    blank_here = line - 1 < len(lines) and not lines[line - 1].strip()
    if blank_here and lines[line - 1]:
        return lines[line - 1]  # the editor's own indentation on the cursor's line
    separated = above_at is not None and (above_at < line - 2 or blank_here)
    if separated and below and len(indent_below) < len(indent_above):
        return indent_below
    if separated and not below and above_at is not None:
        # Nothing follows (the end of the file): beside the block above, not inside it.
        return _block_indent(lines, above_at, indent_above)
    return indent_above


def _block_indent(lines: list[str], last: int, indent: str) -> str:
    """The indentation of the header of the block whose body holds line index `last`
    (at `indent`): the nearest line above that is indented less."""
    for text in reversed(lines[:last]):
        if text.strip() and len(header := code_blocks.leading_indent(text)) < len(indent):
            return header
    return indent


def _clean_completion(text: str, suffix: str, max_lines: int, spec: LanguageSpec | None) -> str:
    """Trim a raw completion: fences, too many lines, lines repeating what follows."""
    if "```" in text:
        text = code_blocks.extract_code(text, spec)
    text = text.replace(CURSOR, "")
    lines = text.split("\n")[:max_lines]
    following = [line.strip() for line in suffix.split("\n") if line.strip()]
    if following:
        # Stop where the model starts re-typing the code after the cursor.
        for index, line in enumerate(lines):
            if index > 0 and line.strip() and line.strip() == following[0]:
                lines = lines[:index]
                break
    return "\n".join(lines).rstrip()


def _key_status(provider: Provider) -> str:
    env = provider.settings.api_key_env
    if not env:
        return "not needed"
    return f"set (${env})" if provider.api_key else f"missing (${env} is not set)"
