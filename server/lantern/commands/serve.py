"""Run the language server (stdio by default)."""

from __future__ import annotations

import argparse
import gc


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="Use stdio (the default).")
    parser.add_argument("--tcp", action="store_true", help="Listen on TCP instead of stdio.")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: 127.0.0.1).")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: 2087).")


def run(args: argparse.Namespace) -> int:
    # Importing the server builds ~50,000 objects that live as long as the process
    # (lsprotocol's classes, most of them): a collection every 700 new objects walks
    # them again and again, 20 ms of start-up. Fewer collections while they are built
    # (the peak memory does not change); `serve` then freezes them out of later ones.
    threshold = gc.get_threshold()
    gc.set_threshold(3_000, *threshold[1:])
    from lantern.lsp.server import serve

    # Out of the collector's full passes from now on: the first one, while the server is
    # built, walked all of it (14 ms of start-up).
    gc.freeze()
    gc.set_threshold(*threshold)
    return serve(tcp=(args.host, args.port) if args.tcp else None)
