"""Run the language server (stdio by default)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="Use stdio (the default).")
    parser.add_argument("--tcp", action="store_true", help="Listen on TCP instead of stdio.")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: 127.0.0.1).")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: 2087).")


def run(args: argparse.Namespace) -> int:
    from lantern.lsp.server import serve

    return serve(tcp=(args.host, args.port) if args.tcp else None)
