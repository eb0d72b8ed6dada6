"""Show or clear the cache of model answers (`lantern cache stats|clear`).

Exit status: 0 on success, 1 when the cache cannot be read or cleared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="Where the cache is, how big, entries per task.")
    stats.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    actions.add_parser("clear", help="Remove every cached answer.")


def run(args: argparse.Namespace) -> int:
    from lantern.cache import open_cache
    from lantern.config import file_layers, load_settings

    settings, warnings = load_settings(file_layers(Path.cwd()))
    for warning in warnings:
        print(f"lantern: {warning}", file=sys.stderr)
    cache = open_cache(settings.cache, project=Path.cwd().name)
    try:
        if args.action == "clear":
            removed = cache.clear()
            if cache.problem:
                print(
                    f"lantern cache: cannot clear {cache.directory}: {cache.problem}",
                    file=sys.stderr,
                )
                return 1
            where = str(cache.directory)
            if cache.shared is not None:
                where += f" and namespace {cache.shared.namespace} of {cache.shared.display_url}"
            print(f"Removed {removed} cached answers from {where}.")
            if cache.shared is not None and cache.shared.problem:
                print(f"lantern cache: shared cache: {cache.shared.problem}", file=sys.stderr)
                return 1
            return 0
        stats = cache.stats()
        if args.json:
            print(json.dumps(stats, indent=2))
        else:
            print(format_stats(stats))
        return 1 if stats.get("problem") else 0
    finally:
        cache.close()


def format_stats(stats: dict[str, Any]) -> str:
    lines = [f"Directory:  {stats['directory']}"]
    if not stats["enabled"]:
        lines.append("Status:     disabled (`cache.enabled = false`)")
        return "\n".join(lines)
    if stats.get("problem"):
        lines.append(f"Status:     unusable ({stats['problem']})")
        return "\n".join(lines)
    limit = int(stats["size_limit_bytes"])
    size = int(stats.get("size_bytes", 0))
    lines.append(f"Entries:    {stats.get('entries', 0)}")
    lines.append(f"Size:       {_megabytes(size)} of {_megabytes(limit)}")
    by_task = stats.get("by_task") or {}
    if by_task:
        lines.append("By task:    " + ", ".join(f"{t} {n}" for t, n in sorted(by_task.items())))
    if shared := stats.get("shared"):
        state = f"unavailable ({shared['problem']})" if shared.get("problem") else "ok"
        lines.append(f"Shared:     {shared['url']}, namespace {shared['namespace']}: {state}")
        if not shared.get("problem"):
            lines.append(f"            {shared.get('entries') or 0} answers")
    return "\n".join(lines)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
