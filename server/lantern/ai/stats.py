"""Accounting: requests, cache hits, tokens, latency and failures per provider and task.

Counters live in memory for the life of the service and are reported as plain data
(for `lantern doctor` and the server's status); they never hold prompts or keys.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

LATENCY_SAMPLES = 500
# Latency health, as Tabby judges it: under 3 s is healthy, over 5 s is slow.
HEALTHY_MS = 3000
SLOW_MS = 5000


@dataclass
class Counters:
    requests: int = 0  # answered by the model (cache hits not included)
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    # Time spent queued for a one-request-at-a-time endpoint before being sent.
    queue_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "failures": dict(self.failures),
            "latency_ms": percentiles(self.latencies_ms),
            "queue_ms": percentiles(self.queue_ms),
        }


def percentiles(samples: deque[float] | list[float]) -> dict[str, float | None]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50": None, "p90": None, "p99": None}

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99)}


def health(latency_p50_ms: float | None, consecutive_failures: int, circuit: str) -> str:
    if circuit == "open":
        return "unavailable"
    if latency_p50_ms is None:
        return "failing" if consecutive_failures else "unknown"
    if latency_p50_ms > SLOW_MS:
        return "slow"
    return "healthy" if latency_p50_ms < HEALTHY_MS else "degraded"


class Stats:
    """Counters per (provider, task); cache hits are credited to the provider that answered."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], Counters] = {}

    def counters(self, provider: str, task: str) -> Counters:
        return self._by.setdefault((provider, task), Counters())

    def answered(
        self,
        provider: str,
        task: str,
        latency_ms: float,
        prompt_tokens: int,
        completion_tokens: int,
        queue_ms: float = 0.0,
    ) -> None:
        counters = self.counters(provider, task)
        counters.requests += 1
        counters.prompt_tokens += prompt_tokens
        counters.completion_tokens += completion_tokens
        counters.latencies_ms.append(latency_ms)
        counters.queue_ms.append(queue_ms)

    def cache_hit(self, provider: str, task: str) -> None:
        self.counters(provider, task).cache_hits += 1

    def failed(self, provider: str, task: str, kind: str) -> None:
        self.counters(provider, task).failures[kind] += 1

    def for_provider(self, provider: str) -> tuple[Counters, dict[str, dict[str, Any]]]:
        """The provider's totals and its per-task breakdown."""
        total = Counters()
        tasks: dict[str, dict[str, Any]] = {}
        for (name, task), counters in sorted(self._by.items()):
            if name != provider:
                continue
            tasks[task] = counters.to_dict()
            total.requests += counters.requests
            total.cache_hits += counters.cache_hits
            total.prompt_tokens += counters.prompt_tokens
            total.completion_tokens += counters.completion_tokens
            total.failures.update(counters.failures)
            total.latencies_ms.extend(counters.latencies_ms)
            total.queue_ms.extend(counters.queue_ms)
        return total, tasks

    def by_task(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for (_, task), counters in sorted(self._by.items()):
            entry = result.setdefault(
                task, {"requests": 0, "cache_hits": 0, "failures": 0, "tokens": 0}
            )
            entry["requests"] += counters.requests
            entry["cache_hits"] += counters.cache_hits
            entry["failures"] += sum(counters.failures.values())
            entry["tokens"] += counters.prompt_tokens + counters.completion_tokens
        return result
