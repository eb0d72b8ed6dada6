"""Typed AI errors: every way a model call can end without an answer, as values.

The facade returns these instead of raising. Their messages are written for a person
and never contain an API key, a prompt or a secret from the code.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AIError(Exception):
    """Base of every AI failure; `kind` is a stable identifier for clients and stats."""

    kind: ClassVar[str] = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, **self.details}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_dict() == self.to_dict()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.kind, self.message))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotConfigured(AIError):
    """No provider serves the task; the message says exactly how to add one."""

    kind = "not_configured"


class Disabled(AIError):
    """`ai.enabled` is false: nothing was sent."""

    kind = "disabled"


class Excluded(AIError):
    """The file matches an exclusion (built-in globs, `ai.exclude`, `.lanternignore`)."""

    kind = "excluded"


class TooLarge(AIError):
    """The code that must be sent does not fit the task's prompt budget."""

    kind = "too_large"


class ProviderUnavailable(AIError):
    """Every provider for the task failed or was skipped; `attempts` says why, per provider."""

    kind = "provider_unavailable"


class RateLimited(AIError):
    """A provider or a local limit refused the request; `retry_after` in seconds if known."""

    kind = "rate_limited"


class TimedOut(AIError):
    """The task's deadline passed before any provider answered."""

    kind = "timed_out"


class InvalidAnswer(AIError):
    """The model answered, but not in a usable form, even after one corrective retry."""

    kind = "invalid_answer"


class Cancelled(AIError):
    """The caller cancelled; the HTTP request was aborted."""

    kind = "cancelled"


NOT_CONFIGURED_HELP = """\
No AI provider is configured. Either set environment variables before starting Lantern:
  LANTERN_AI_BASE_URL=https://api.openai.com/v1  LANTERN_AI_MODEL=gpt-4o-mini  \
LANTERN_AI_API_KEY=<your key>
  (a local Ollama: LANTERN_AI_BASE_URL=http://localhost:11434/v1 LANTERN_AI_MODEL=qwen2.5-coder)
or add a provider to lantern.toml (or [tool.lantern] in pyproject.toml):
  [[ai.providers]]
  name = "openai"
  base_url = "https://api.openai.com/v1"
  model = "gpt-4o-mini"
  api_key_env = "OPENAI_API_KEY"
Run `lantern doctor` to check it. See docs/ai.md for Azure, Ollama, vLLM, llama.cpp, \
LM Studio and LiteLLM."""
