"""Command-line entry point: `lantern serve | check | cache | doctor | config | history`.

Subcommand modules are imported only when chosen, so `lantern serve` starts without
paying for what `check` or `doctor` need.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from lantern import __version__

SUBCOMMANDS = {
    "serve": "lantern.commands.serve",
    "check": "lantern.commands.check",
    "cache": "lantern.commands.cache",
    "doctor": "lantern.commands.doctor",
    "config": "lantern.commands.config",
    "history": "lantern.commands.history",
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lantern", description="Static analysis and an LLM side by side in any editor."
    )
    parser.add_argument("--version", action="version", version=f"lantern {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Only the chosen subcommand's module is imported; the others list their name only.
    chosen = next((arg for arg in argv if arg in SUBCOMMANDS), None)
    for name, module_name in SUBCOMMANDS.items():
        if name == chosen or chosen is None:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue  # a subcommand not shipped in this build
            summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
            sub = commands.add_parser(name, help=summary, description=module.__doc__)
            module.configure(sub)
            sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # status 1 means "findings": an internal error must not look so
        if os.environ.get("LANTERN_DEBUG"):
            raise
        print(
            f"lantern {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(run with LANTERN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2
