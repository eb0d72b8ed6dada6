"""Configuration: one typed model with documented defaults, merged from layered sources.

Sources, each overriding the one before:
built-in defaults < user file (`$LANTERN_CONFIG`, else `$XDG_CONFIG_HOME/lantern/config.toml`)
< the project's `pyproject.toml` `[tool.lantern]` < its `lantern.toml`
< environment (`LANTERN_CACHE_DIR`, `LANTERN_CACHE_URL`, `LANTERN_AI_*`)
< LSP `initializationOptions` < `workspace/configuration` section `lantern` (for the
file's workspace folder).
A file's project is the nearest folder above it with a `lantern.toml` or a
`pyproject.toml` holding `[tool.lantern]` (`project_directory`). Reading the sources
into layers is `lantern.config_sources` (no pydantic); this module validates and merges.

Keys may be written snake_case, camelCase or kebab-case. Loading never raises: an
invalid or unknown key, or a value of the wrong shape, is dropped with a warning naming
it and the value used instead; a source that exists but gives nothing (TOML syntax
error, unreadable file, `LANTERN_CONFIG` naming no file) is a warning too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from lantern.analysis.findings import Severity
from lantern.config_sources import (  # noqa: F401  (loading's API, re-exported)
    DEBOUNCE_MS,
    DOCS_URL,
    MAX_FILE_SIZE,
    TIME_BUDGET_MS,
    ConfigLayer,
    env_layers,
    file_layers,
    lsp_layer,
    project_directory,
    project_layers,
    user_layers,
)

Task = Literal["review", "fix", "explain", "generate", "complete"]
TASKS: tuple[Task, ...] = ("review", "fix", "explain", "generate", "complete")
ReviewTrigger = Literal["open", "save", "idle"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class DiagnosticsSettings(_Section):
    """When and how static analysis runs in the editor."""

    enabled: bool = Field(True, description="Publish static-analysis diagnostics at all.")
    run_on: Literal["type", "save"] = Field(
        "type", description="Analyse as you type, or only when a file is opened or saved."
    )
    debounce_ms: int = Field(
        DEBOUNCE_MS, ge=0, le=10_000, description="Quiet time after a keystroke before analysing."
    )
    max_file_size: int = Field(
        MAX_FILE_SIZE, ge=1, description="Files larger than this many bytes are not analysed."
    )
    time_budget_ms: int = Field(
        TIME_BUDGET_MS,
        ge=100,
        description="Stop analysing one version of a file after this many milliseconds and "
        "publish what was found, with a note at the top of the file.",
    )


class CompletionSettings(_Section):
    """Inline (ghost text) and classic completion in the editor."""

    enabled: bool = Field(
        True, description="Offer completions at all (inline suggestions and the classic list)."
    )
    debounce_ms: int = Field(
        200,
        ge=0,
        le=5000,
        description="Base quiet time after a keystroke before the model is asked. Lantern "
        "adapts it to the typing rhythm within 100-400 ms (widened to include this value); "
        "0 asks at once. An inline suggestion asked for explicitly never waits.",
    )
    max_lines: int = Field(
        8, ge=1, le=50, description="The most lines one multi-line suggestion may have."
    )
    classic_ai: bool = Field(
        True,
        description="For editors without inline completion, add the model's suggestion to the "
        "classic completion list (`textDocument/completion`), marked `Lantern AI`.",
    )
    local_items: bool = Field(
        True,
        description="Offer the document's identifiers and the language's keywords in the "
        "classic completion list; they need no model.",
    )


def _known_code(entry: str) -> str:
    """`entry` if it names rules; a ValueError naming the closest valid code otherwise
    (loading then drops just that entry, with a warning)."""
    from lantern.analysis.rules.selection import unknown_code

    if (problem := unknown_code(entry)) is not None:
        raise ValueError(problem)
    return entry


RuleCode = Annotated[str, AfterValidator(_known_code)]


class RulesSettings(_Section):
    """Which rules run and how severe their findings are."""

    select: list[RuleCode] = Field(
        default_factory=list,
        description="Rule codes or code prefixes to run *instead of* the defaults (`LS` runs "
        "only the security rules, `ALL` every stable rule). Empty: the default set. Where "
        "`select` and `ignore` both match a rule, the longer (more specific) entry wins.",
    )
    extend_select: list[RuleCode] = Field(
        default_factory=list,
        description="Rule codes or code prefixes to run in addition to `select` (or the "
        "defaults): `LC` adds the complexity rules.",
    )
    ignore: list[RuleCode] = Field(
        default_factory=list, description="Rule codes or code prefixes to disable."
    )
    preview: bool = Field(
        False,
        description="Also run the preview rules, whose precision on real code is not yet "
        "proven (listed in docs/rules.md). A preview rule also runs when selected by its full "
        "code.",
    )
    severity: dict[RuleCode, Severity] = Field(
        default_factory=dict,
        description="Per-rule severity overrides, by rule code or code prefix.",
    )
    complexity_threshold: int = Field(
        10, ge=1, description="LC401: report functions whose cyclomatic complexity exceeds this."
    )
    max_nesting_depth: int = Field(
        4, ge=1, description="LC402: report blocks nested deeper than this inside a function."
    )
    docs_url: str = Field(
        DOCS_URL,
        description="Where the rule documentation lives; each diagnostic links to "
        "`<docs_url>#<code>` (e.g. `#ls101`). Point it at a mirror of docs/rules.md if needed.",
    )


class ProviderSettings(_Section):
    """One OpenAI-compatible endpoint. The API key is read from `api_key_env`, never stored."""

    name: str = Field(min_length=1, description="Unique name, used in routing and messages.")
    base_url: str = Field(
        description="The API root, e.g. `https://api.openai.com/v1` or "
        "`http://localhost:11434/v1`; for Azure the resource endpoint."
    )
    model: str = Field(min_length=1, description="Model name (the deployment name on Azure).")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key."
    )
    timeout: float = Field(30.0, gt=0, description="Seconds before one request gives up.")
    max_retries: int = Field(
        2,
        ge=0,
        le=10,
        description="Retries after 429, 5xx, timeouts and connection errors, with exponential "
        "backoff and jitter, honouring `Retry-After`; then the next provider is tried.",
    )
    requests_per_minute: int | None = Field(
        None, ge=1, description="Client-side limit; callers queue for a free slot."
    )
    tokens_per_minute: int | None = Field(
        None, ge=1, description="Client-side limit on estimated prompt + answer tokens."
    )
    tasks: list[Task] = Field(
        default_factory=lambda: list(TASKS), description="Tasks this provider serves."
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra HTTP headers sent with every request."
    )
    api_version: str | None = Field(
        None, description="Azure OpenAI `api-version`; setting it selects the Azure client."
    )
    structured_output: Literal["auto", "json_schema", "json_object", "text"] = Field(
        "auto",
        description="How to ask for JSON: `auto` tries a JSON schema, then JSON mode, then "
        "plain text, remembering what the endpoint accepted.",
    )
    fill_in_middle: bool | None = Field(
        None,
        description="Complete code through `/completions` with `suffix` (true), through chat "
        "(false), or try the former and fall back to chat (unset).",
    )
    max_concurrent_requests: int | None = Field(
        None,
        ge=1,
        description="Requests sent to this endpoint at once; more callers queue (the time "
        "they wait is reported). Unset: no limit, until the server cuts an answer short "
        "when another request arrives (llama.cpp's server does), then 1.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http(s) URL")
        return value


class AISettings(_Section):
    """The model layer. With no provider, every AI feature explains how to set one up."""

    enabled: bool = Field(True, description="False guarantees that no request is ever made.")
    providers: list[ProviderSettings] = Field(
        default_factory=list,
        description="OpenAI-compatible endpoints. Without any, `OPENAI_API_KEY` (and "
        "`OPENAI_BASE_URL`) are used as a last resort.",
    )
    routing: dict[Task, list[str]] = Field(
        default_factory=dict,
        description="Per task, provider names to try in order. A task not listed uses every "
        "provider that serves it, in the order of `providers`.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Files never sent to a model (gitignore syntax), on top of the built-in "
        "list (`.env*`, `*.pem`, `*.key`, `id_rsa*`, `*.p12`, ...) and `.lanternignore`.",
    )
    deadline_seconds: dict[Task, float] = Field(
        default_factory=lambda: {
            "review": 120.0,
            "fix": 60.0,
            "explain": 60.0,
            "generate": 120.0,
            "complete": 10.0,
        },
        description="Per task, the most time one call may take, retries and fallbacks included.",
    )
    max_prompt_tokens: dict[Task, int] = Field(
        default_factory=lambda: {
            "review": 6000,
            "fix": 6000,
            "explain": 4000,
            "generate": 6000,
            "complete": 2000,
        },
        description="Per task, the prompt budget (estimated locally); context is trimmed to fit.",
    )
    max_answer_tokens: dict[Task, int] = Field(
        default_factory=lambda: {
            "review": 2000,
            "fix": 3000,
            "explain": 1500,
            "generate": 3000,
            "complete": 256,
        },
        description="Per task, the `max_tokens` asked of the model.",
    )
    breaker_failures: int = Field(
        3, ge=1, description="Consecutive failures after which a provider is skipped."
    )
    breaker_cooldown_seconds: float = Field(
        30.0, gt=0, description="How long a failing provider is skipped before one probe."
    )
    openai_env_model: str = Field(
        "gpt-4o-mini",
        min_length=1,
        description="Model for the last-resort `OPENAI_API_KEY` provider "
        "(`LANTERN_AI_MODEL` wins when set).",
    )
    review_on: list[ReviewTrigger] = Field(
        default_factory=lambda: ["open", "save"],
        description="When the editor asks the model to review the functions and classes that "
        "changed since their last review: `open`, `save`, `idle` (after `review_idle_ms` "
        "without typing). `[]` reviews only on command (`lantern.analyzeFile`).",
    )
    review_idle_ms: int = Field(
        2000, ge=200, le=600_000, description="The pause in typing that counts as `idle`."
    )
    review_max_severity: Severity = Field(
        Severity.WARNING,
        description="The most severe level an AI finding is shown at; a model's `error` "
        "becomes this.",
    )
    review_concurrency: int = Field(
        2, ge=1, le=16, description="Units of one document reviewed at the same time."
    )

    @field_validator("deadline_seconds", "max_prompt_tokens", "max_answer_tokens")
    @classmethod
    def _complete_table(cls, value: dict[Task, Any], info: Any) -> dict[Task, Any]:
        return AISettings.fill_task_table(cls, value, info)

    @staticmethod
    def fill_task_table(
        model: type[BaseModel], value: dict[Task, Any], info: Any
    ) -> dict[Task, Any]:
        """A per-task table where the tasks the user did not name keep their defaults."""
        if any(number <= 0 for number in value.values()):
            raise ValueError("every value must be positive")
        factory = model.model_fields[str(info.field_name)].default_factory
        return {**factory(), **value}  # type: ignore[call-arg, misc]


class CacheSettings(_Section):
    """The cache of model answers: memory, disk, and optionally a team-shared Redis."""

    enabled: bool = Field(True, description="False: every request goes to the model.")
    dir: str | None = Field(None, description="Defaults to the user cache directory.")
    max_size_mb: int = Field(512, ge=1, description="Size cap; least recently used go first.")
    ttl_seconds: dict[Task, int] = Field(
        default_factory=lambda: {
            "review": 30 * 86400,
            "fix": 7 * 86400,
            "explain": 30 * 86400,
            "generate": 7 * 86400,
            "complete": 86400,
        },
        description="Per task, how long an answer stays valid (defaults: review and explain "
        "30 days, fix and generate 7 days, complete 1 day).",
    )
    memory_entries: int = Field(
        512, ge=0, description="Answers kept in memory in front of the disk cache."
    )
    backend: Literal["disk", "redis"] = Field(
        "disk",
        description="`disk`: answers are kept on this machine (memory, then disk). `redis`: "
        "also in a team-shared Redis at `url`, behind them (memory, then disk, then Redis), "
        "so that the same review of the same code is paid for once per team.",
    )
    url: str | None = Field(
        None,
        description='The shared cache for `backend = "redis"`, e.g. '
        "`redis://cache.internal:6379/0` (`rediss://` for TLS). Put no password here: it is "
        "read from the variable named by `password_env`.",
    )
    password_env: str | None = Field(
        "LANTERN_CACHE_PASSWORD",
        description="The environment variable holding the shared cache's password.",
    )
    namespace: str | None = Field(
        None,
        description="This project's name in the shared cache (keys are "
        "`lantern:<namespace>:<task>:v<prompt version>:<hash>`); defaults to the workspace "
        "folder's name.",
    )
    max_value_kb: int = Field(
        256,
        ge=1,
        description="Answers larger than this stay local, never sent to the shared cache.",
    )
    timeout_seconds: float = Field(
        1.0,
        gt=0,
        description="How long one shared-cache operation may take; after a failure the shared "
        "cache is skipped for 30 s (one warning) and the local layers carry on.",
    )

    @field_validator("ttl_seconds")
    @classmethod
    def _complete_ttls(cls, value: dict[Task, int], info: Any) -> dict[Task, int]:
        return AISettings.fill_task_table(cls, value, info)


class Settings(_Section):
    """Everything a user can configure. Field descriptions double as documentation."""

    diagnostics: DiagnosticsSettings = Field(default_factory=DiagnosticsSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    exclude: list[str] = Field(
        default_factory=list,
        description="Paths never analysed (gitignore syntax, relative to the workspace or the "
        "checked folder), on top of `.gitignore`; used by `lantern check` and workspace scans.",
    )
    ai: AISettings = Field(default_factory=AISettings)
    completion: CompletionSettings = Field(default_factory=CompletionSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="How much the server logs (stderr and the editor's log)."
    )


# -- loading ----------------------------------------------------------------------------


def load_settings(
    layers: list[ConfigLayer], env: Mapping[str, str] | None = None
) -> tuple[Settings, list[str]]:
    """Merge `layers` (lowest first) and the environment into Settings, plus warnings."""
    env = os.environ if env is None else env
    warnings: list[str] = [layer.problem for layer in layers if layer.problem]
    merged: dict[str, Any] = {}
    for layer in _order(layers, env):
        merged = _deep_merge(merged, _normalise_keys(layer, Settings))
    return _validate(merged, warnings, env_provider(env, warnings)), warnings


def _order(layers: list[ConfigLayer], env: Mapping[str, str]) -> list[ConfigLayer]:
    """File layers, then the environment, then the LSP layers."""
    files = [layer for layer in layers if not layer.origin.startswith("lsp")]
    lsp = [layer for layer in layers if layer.origin.startswith("lsp")]
    return [*files, *env_layers(env), *lsp]


def env_provider(env: Mapping[str, str], warnings: list[str]) -> ProviderSettings | None:
    """The one provider defined by LANTERN_AI_BASE_URL / _MODEL / _API_KEY, if any."""
    base_url, model = env.get("LANTERN_AI_BASE_URL"), env.get("LANTERN_AI_MODEL")
    if not base_url and not model:
        return None
    if not base_url or not model:
        missing = "LANTERN_AI_MODEL" if base_url else "LANTERN_AI_BASE_URL"
        warnings.append(f"{missing} is not set: the LANTERN_AI_* provider is ignored.")
        return None
    try:
        return ProviderSettings(
            name="env",
            base_url=base_url,
            model=model,
            api_key_env="LANTERN_AI_API_KEY" if env.get("LANTERN_AI_API_KEY") else None,
        )
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        warnings.append(f"LANTERN_AI_BASE_URL is invalid ({reason}): the provider is ignored.")
        return None


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).replace("-", "_").lower()


def _normalise_keys(values: Any, model: type[BaseModel]) -> Any:
    """Rename keys to the model's field names; user data (rule codes, headers) is untouched."""
    if not isinstance(values, Mapping):
        return values
    result: dict[str, Any] = {}
    for key, value in values.items():
        name = key if key in model.model_fields else _snake(str(key))
        field = model.model_fields.get(name)
        if field is None:
            result[key] = value
            continue
        nested = _model_of(field.annotation)
        if nested is not None:
            if isinstance(value, list):
                value = [_normalise_keys(item, nested) for item in value]
            else:
                value = _normalise_keys(value, nested)
        result[name] = value
    return result


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _validate(
    merged: dict[str, Any], warnings: list[str], from_env: ProviderSettings | None
) -> Settings:
    errors: list[Any] = []
    for _ in range(20):  # each round drops every key it complains about
        try:
            settings = Settings.model_validate(merged)
            break
        except ValidationError as exc:
            errors += exc.errors()
            for error in exc.errors():
                _drop(merged, error["loc"])
    else:  # pragma: no cover - defensive: a value we could not isolate
        settings = Settings()
    warnings += [_describe(error, settings) for error in errors]
    if from_env is not None:
        settings.ai.providers.insert(0, from_env)
    return settings


def _drop(values: dict[str, Any], loc: tuple[Any, ...]) -> None:
    """Delete what `loc` points at: a key, or a whole list item (a provider, a code).

    When the key is absent (a required field is missing) its container goes instead.
    """
    parent: Any = None
    parent_key: Any = None
    node: Any = values
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            del node[part]
            return
        if not isinstance(node, dict) or part not in node:
            break
        parent, parent_key, node = node, part, node[part]
    if parent is not None:
        del parent[parent_key]


def _describe(error: Mapping[str, Any], settings: Settings) -> str:
    loc = error["loc"]
    key = ".".join(str(part) for part in loc)
    if error.get("type") == "extra_forbidden":
        return f"Unknown setting `{key}` is ignored."
    problem = f"Invalid setting `{key}` = {error.get('input')!r} ({error.get('msg')})"
    used = _value_at(settings, loc)
    if used is _ABSENT:
        return f"{problem}; the entry is ignored."
    if isinstance(used, BaseModel):  # a whole section was invalid and dropped
        return f"{problem}; using the default instead."
    return f"{problem}; using {used!r} instead."


_ABSENT = object()


def _value_at(settings: Settings, loc: tuple[Any, ...]) -> Any:
    """The value now at `loc`, or _ABSENT for a dropped list item or map entry."""
    node: Any = settings
    for part in loc:
        if isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        else:
            return _ABSENT
    return node
