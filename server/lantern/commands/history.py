"""The generation history shared with the editor (`lantern history [list|show ID|delete ID]`).

Exit status: 0 on success, 1 when the entry named does not exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="Every generation, newest first (the default).")
    listing.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    show = actions.add_parser("show", help="One generation: prompt, model, files written.")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    delete = actions.add_parser("delete", help="Forget one generation.")
    delete.add_argument("id")


def run(args: argparse.Namespace) -> int:
    from lantern.assist.history import history_for
    from lantern.config import file_layers, load_settings

    settings, warnings = load_settings(file_layers(Path.cwd()))
    for warning in warnings:
        print(f"lantern: {warning}", file=sys.stderr)
    history = history_for(settings.cache)
    action = args.action or "list"
    if action == "list":
        args.json = getattr(args, "json", False)
        entries = history.entries()
        if args.json:
            print(json.dumps([e.to_dict() for e in entries], indent=2))
            return 0
        if not entries:
            print(f"No generation yet (history in {history.directory}).")
        for entry in entries:
            print(entry.summary())
        return 0
    if action == "show":
        entry = history.get(args.id)
        if entry is None:
            print(f"lantern history: no entry {args.id}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(entry.to_dict(), indent=2))
            return 0
        for key, value in entry.to_dict().items():
            shown = "\n  ".join(value) if isinstance(value, list) else value
            print(f"{key}: {shown}")
        return 0
    if not history.delete(args.id):
        print(f"lantern history: no entry {args.id}", file=sys.stderr)
        return 1
    print(f"Deleted {args.id}.")
    return 0
