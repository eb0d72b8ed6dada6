"""Check the AI setup: configuration, cache, and each provider with a cheap request.

Exit status: 0 when AI is disabled or at least one provider is usable, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="Seconds per provider check (default: 10)."
    )


def run(args: argparse.Namespace) -> int:
    from lantern.ai.errors import NOT_CONFIGURED_HELP
    from lantern.ai.service import AIService
    from lantern.config import file_layers, load_settings

    settings, warnings = load_settings(file_layers(Path.cwd()))
    service = AIService(settings, workspace_root=Path.cwd())
    try:
        checks = asyncio.run(_checks(service, args.timeout))
        status = service.stats()
    finally:
        service.cache.close()
    usable = any(check["usable"] for check in checks)
    ok = usable or not settings.ai.enabled
    if args.json:
        report = {
            "ok": ok,
            "ai_enabled": settings.ai.enabled,
            "warnings": [*warnings, *status["warnings"]],
            "providers": checks,
            "routes": status["routes"],
            "cache": status["cache"],
        }
        print(json.dumps(report, indent=2))
        return 0 if ok else 1
    out = sys.stdout
    for warning in [*warnings, *status["warnings"]]:
        print(f"warning: {warning}", file=out)
    if not settings.ai.enabled:
        print("AI: disabled (`ai.enabled = false`): no request is ever sent.", file=out)
    elif not checks:
        print(NOT_CONFIGURED_HELP, file=out)
    else:
        print("Providers:", file=out)
        for check in checks:
            print(_describe(check), file=out)
        print("Routes:", file=out)
        for task, names in status["routes"].items():
            print(f"  {task:<9} {' -> '.join(names) or '(no provider)'}", file=out)
    print(_describe_cache(status["cache"]), file=out)
    if settings.ai.enabled:
        print("Result: " + ("ready" if usable else "no usable provider"), file=out)
    return 0 if ok else 1


async def _checks(service: Any, timeout: float) -> list[dict[str, Any]]:
    try:
        return await service.check_providers(timeout)  # type: ignore[no-any-return]
    finally:
        await service.pool.close()


def _describe(check: dict[str, Any]) -> str:
    mark = "ok  " if check["usable"] else "FAIL"
    lines = [f"  [{mark}] {check['name']}: {check['model']} at {check['base_url']}"]
    lines.append(f"         API key: {check['api_key']}")
    reach = "reachable" if check["reachable"] else "unreachable"
    model = {True: "model present", False: "model NOT found", None: "model list unavailable"}[
        check["model_present"]
    ]
    latency = f", answered in {check['latency_ms']:.0f} ms" if check["latency_ms"] else ""
    lines.append(f"         {reach}, {model}{latency}")
    if check["error"]:
        lines.append(f"         error: {check['error']}")
    return "\n".join(lines)


def _describe_cache(cache: dict[str, Any]) -> str:
    if not cache["enabled"]:
        return "Cache: disabled"
    if cache.get("problem"):
        local = f"Cache: {cache['directory']} is unusable ({cache['problem']}); running without it"
    else:
        local = f"Cache: {cache['directory']} ({cache.get('entries', 0)} answers)"
    return local + describe_shared(cache.get("shared"))


def describe_shared(shared: dict[str, Any] | None) -> str:
    """The shared (Redis) layer in one line, or nothing when there is none."""
    if shared is None:
        return ""
    where = f"{shared['url']} (namespace {shared['namespace']})"
    if shared.get("problem"):
        return f"\nShared cache: {where} is unavailable ({shared['problem']}); local only"
    return f"\nShared cache: {where}, {shared.get('entries') or 0} answers"
