"""Time per worst-case input: every shape of tests/support/worst_cases.py in every language.

Run on demand (never from the test suite):

    python benchmarks/bench_worst_cases.py [--size 2000000] [--timeout 60] [--shape S ...]
        [--server /other/checkout/server]     # figures for another version (before/after)
        [--incremental]                       # also: a two-cursor edit, then re-analysis
        [--soak 20000]                        # RSS of a real server over N didChange

Each input is grown to about `--size` bytes and analysed from scratch (parse + every
default rule) in a fresh process bounded by `--timeout`; the table gives seconds, or
`>T` when it did not finish. `--incremental` adds the time of the re-analysis after an
edit at the first and last line (the multi-cursor edit of issue 11 case 01). `--soak`
starts `lantern serve`, opens one document and sends N one-character edits with a pull
every 1,000, printing the server's RSS: it must stay flat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_ONE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
from tests.support.worst_cases import _EXTENSIONS, scaled_to
from lantern.analysis.engine import analyse_document, rule_options
from lantern.analysis.languages import detect_language, parse
from lantern.config import Settings

shape, language, size, incremental = sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6] == "1"
text = scaled_to(shape, language, size)
spec = detect_language("case" + _EXTENSIONS[language])
options = rule_options(Settings().rules)
source = text.encode()
start = time.perf_counter()
tree = parse(spec, source)
analysis = analyse_document(spec, source, tree, options)
full = time.perf_counter() - start
again = None
if incremental:
    first = text.find("\\n") + 1
    edited = text[:first] + " " + text[first:-1] + " \\n"
    new = edited.encode()
    start = time.perf_counter()
    analyse_document(spec, new, parse(spec, new), options, analysis)
    again = time.perf_counter() - start
print(json.dumps({"bytes": len(source), "full": full, "incremental": again,
                  "findings": len(analysis.findings)}))
"""


def _run(args: argparse.Namespace, shape: str, language: str) -> dict | None:
    command = [
        sys.executable, "-c", _ONE, str(ROOT), args.server, shape, language,
        str(args.size), "1" if args.incremental else "0",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(seconds: float | None, timeout: float) -> str:
    return f">{timeout:.0f}" if seconds is None else f"{seconds:.2f}"


def table(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support.worst_cases import _EXTENSIONS, SHAPES

    shapes = args.shape or list(SHAPES)
    header = f"{'input':28} {'bytes':>9} {'full s':>8}"
    print(header + (f" {'edit s':>8}" if args.incremental else "") + "  findings")
    for shape in shapes:
        for language in _EXTENSIONS:
            result = _run(args, shape, language)
            name = f"{shape}/{language}"
            if result is None:
                print(f"{name:28} {'':>9} {_cell(None, args.timeout):>8}", flush=True)
                continue
            if "error" in result:
                print(f"{name:28} error: {result['error']}", flush=True)
                continue
            row = f"{name:28} {result['bytes']:>9,} {_cell(result['full'], args.timeout):>8}"
            if args.incremental:
                row += f" {_cell(result['incremental'], args.timeout):>8}"
            print(f"{row}  {result['findings']}", flush=True)


def soak(edits: int, server: str) -> None:
    """RSS of a real server over `edits` didChange notifications (issue 11 case 15)."""
    import asyncio

    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    def rss_mb(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def main() -> None:
        client = LanguageClient("soak", "1")
        env = {**os.environ, "PYTHONPATH": server}  # which checkout's server runs
        await client.start_io(sys.executable, "-m", "lantern", "serve", env=env)
        pid = client._server.pid  # type: ignore[attr-defined]
        caps = types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                diagnostic=types.DiagnosticClientCapabilities()
            )
        )
        await client.initialize_async(types.InitializeParams(capabilities=caps))
        client.initialized(types.InitializedParams())
        uri = "file:///soak/a.py"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 0, "x = 1\n"))
        )
        pull = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri=uri))
        await client.text_document_diagnostic_async(pull)
        print(f"{'edits':>8} {'RSS MB':>8}")
        print(f"{0:>8} {rss_mb(pid):8.1f}", flush=True)
        for version in range(1, edits + 1):
            # Type a character and delete it again: the document does not grow.
            text, at = ("#", 0) if version % 2 else ("", 1)
            change = types.TextDocumentContentChangePartial(
                range=types.Range(
                    types.Position(line=0, character=0), types.Position(line=0, character=at)
                ),
                text=text,
            )
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
                )
            )
            if version % 1000 == 0:
                await client.text_document_diagnostic_async(pull)
                if version % (edits // 10 or 1) == 0:
                    print(f"{version:>8} {rss_mb(pid):8.1f}", flush=True)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--shape", action="append")
    parser.add_argument("--server", default=str(ROOT / "server"))
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--soak", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.soak:
        soak(args.soak, args.server)
    else:
        table(args)


if __name__ == "__main__":
    main()
