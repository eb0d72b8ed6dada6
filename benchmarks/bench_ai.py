"""What AI review costs in a real editing session, against a naive baseline.

Run on demand (never from the test suite):

    python benchmarks/bench_ai.py [--functions 45]

A scripted session drives `lantern serve` over stdio, with the model configured only by
the LANTERN_AI_* variables and answered by the loopback OpenAI-compatible server of the
tests (tests/support/openai_server.py, with tests/support/code_model.py as the model):

  open a 1,000+ line Python file; 50 edits spread over 3 functions with a save after
  every 10 (5 saves); close; re-open; restart the server; re-open.

It counts the model requests Lantern sent and their prompt tokens (estimated with
Lantern's own estimator, the same for both columns), against a naive reviewer that
sends the whole file on open, on every save and on every re-open. Targets: at most
10 % of the baseline's tokens after the first review, 0 requests on re-open and after
a restart. Completion costs are measured by benchmarks/bench_completion.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_lsp import Client  # noqa: E402
from tests.support import code_model  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402

from lantern.ai.prompts import template  # noqa: E402
from lantern.ai.tokens import estimate_messages, estimate_tokens  # noqa: E402

EDITED = (3, 17, 31)  # the functions the session edits
EDITS, SAVE_EVERY = 50, 10


def make_source(functions: int) -> str:
    parts = ['"""A module for the AI review benchmark."""\n\nimport json\nimport os\n']
    for n in range(functions):
        body = "".join(f"        total += item.get('v{k}', {k})\n" for k in range(16))
        risky = "    data = risky(path)\n" if n % 7 == 0 else "    data = json.loads(path)\n"
        parts.append(
            f"\n\ndef step_{n}(path, items):\n"
            f'    """Step {n}: read `path` and add up the items."""\n'
            f"{risky}    total = 0\n    for item in items:\n{body}"
            f"    if total > {n}:\n        return total\n    return data\n"
        )
    return "".join(parts)


def line_of(source: str, needle: str) -> int:
    return source.splitlines().index(needle)


async def start(root: Path, env: dict[str, str]) -> Client:
    command = [sys.executable, "-m", "lantern", "serve"]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=root,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = Client(process)
    capabilities = {"textDocument": {"synchronization": {"didSave": True}}}
    await client.request(
        "initialize",
        {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities},
    )
    client.notify("initialized", {})
    return client


async def settle(model: OpenAIServer, quiet: float = 1.5, first: bool = False) -> None:
    """Wait until the model has seen no request for `quiet` seconds (after a first one,
    when `first`: the server loads its model layer before the first review)."""
    if first:
        async with asyncio.timeout(60):
            while not model.requests:
                await asyncio.sleep(0.05)
    seen, still = -1, 0.0
    while still < quiet:
        await asyncio.sleep(0.1)
        count = len(model.requests)
        still = still + 0.1 if count == seen else 0.0
        seen = count


def open_params(uri: str, text: str, version: int) -> dict[str, Any]:
    return {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}}


async def session(root: Path, source: str, model: OpenAIServer) -> list[tuple[str, int, int]]:
    """(phase, model requests, prompt tokens) per phase of the scripted session."""
    env = {
        **os.environ,
        "LANTERN_AI_BASE_URL": model.url,
        "LANTERN_AI_MODEL": "test-model",
        "LANTERN_CACHE_DIR": str(root / "cache"),
        "XDG_CONFIG_HOME": str(root / "config"),
    }
    path = root / "module.py"
    path.write_text(source)
    uri = path.as_uri()
    phases: list[tuple[str, int, int]] = []
    mark = 0

    def phase(name: str) -> None:
        nonlocal mark
        requests = model.generation_requests[mark:]
        tokens = sum(estimate_tokens(r.prompt_text) for r in requests)
        phases.append((name, len(requests), tokens))
        mark = len(model.generation_requests)

    client = await start(root, env)
    client.notify("textDocument/didOpen", open_params(uri, source, 1))
    await settle(model, first=True)
    phase("open (first review)")
    lines = source.splitlines(keepends=True)
    version = 1
    for edit in range(EDITS):
        target = line_of(source, f"def step_{EDITED[edit % 3]}(path, items):") + 4
        version += 1
        new = f"    total = {edit}\n"
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": target, "character": 0},
                            "end": {"line": target + 1, "character": 0},
                        },
                        "text": new,
                    }
                ],
            },
        )
        lines[target] = new
        if (edit + 1) % SAVE_EVERY == 0:
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            await settle(model)
    phase(f"{EDITS} edits, {EDITS // SAVE_EVERY} saves")
    edited = "".join(lines)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    client.notify("textDocument/didOpen", open_params(uri, edited, 1))
    await settle(model)
    phase("close, re-open")
    await client.stop()
    client = await start(root, env)
    client.notify("textDocument/didOpen", open_params(uri, edited, 1))
    await settle(model)
    phase("restart, re-open")
    await client.stop()
    return phases


def whole_file_tokens(source: str) -> int:
    """One naive review: the review prompt around the whole numbered file."""
    numbered = "\n".join(f"{n:>4} | {line}" for n, line in enumerate(source.splitlines(), 1))
    messages = template("review").render(
        path="module.py",
        language="python",
        context="(none)",
        known_findings="(none)",
        start_line=1,
        end_line=len(source.splitlines()),
        code=numbered,
    )
    return estimate_messages(messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=45, help="Functions in the file.")
    args = parser.parse_args()
    source = make_source(args.functions)
    model = OpenAIServer().start()
    model.responder = code_model.answer
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lantern-bench-ai-") as folder:
        phases = asyncio.run(session(Path(folder), source, model))
    model.stop()
    naive = whole_file_tokens(source)
    baseline = {
        "open (first review)": 1,
        f"{EDITS} edits, {EDITS // SAVE_EVERY} saves": EDITS // SAVE_EVERY,
        "close, re-open": 1,
        "restart, re-open": 1,
    }
    print(
        f"File: {len(source.splitlines())} lines, {args.functions} functions; "
        f"{EDITS} edits over {len(EDITED)} functions; naive review = {naive:,} tokens\n"
    )
    print(
        f"{'phase':<24} {'requests':>9} {'tokens':>9} {'naive req':>10} {'naive tok':>10} "
        f"{'ratio':>7}"
    )
    total = [0, 0, 0, 0]
    for name, requests, tokens in phases:
        naive_requests = baseline[name]
        naive_tokens = naive_requests * naive
        ratio = tokens / naive_tokens if naive_tokens else 0.0
        print(
            f"{name:<24} {requests:>9} {tokens:>9,} {naive_requests:>10} {naive_tokens:>10,} "
            f"{ratio:>6.1%}"
        )
        total = [
            total[0] + requests,
            total[1] + tokens,
            total[2] + naive_requests,
            total[3] + naive_tokens,
        ]
    print(
        f"{'whole session':<24} {total[0]:>9} {total[1]:>9,} {total[2]:>10} {total[3]:>10,} "
        f"{total[1] / total[3]:>6.1%}"
    )
    after_first = phases[1:]
    ours = sum(tokens for _, _, tokens in after_first)
    theirs = sum(baseline[name] for name, _, _ in after_first) * naive
    print(
        f"{'after the first review':<24} {sum(r for _, r, _ in after_first):>9} {ours:>9,} "
        f"{'':>10} {theirs:>10,} {ours / theirs:>6.1%}"
    )
    print(f"\n(run took {time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
