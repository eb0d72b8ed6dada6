"""Benchmark completion against the loopback OpenAI-compatible server; prints a table.

Run on demand (never from the test suite):

    python benchmarks/bench_completion.py [--bursts 5] [--samples 200]

Measured, on a 1,000+ line Python file copied from the standard library:
- model requests per 20-keystroke burst: `lantern serve` over stdio, each keystroke a
  `didChange` plus an automatic `textDocument/inlineCompletion` request (as VS Code
  sends them), at three typing speeds. Target: at most 2.
- time inside Lantern per completion, the model's latency excluded: the completion
  engine and the real AIService in-process (decision, prompt building, redaction, HTTP
  client, post-processing), minus the provider's measured round trip; the answer cache
  is off and every cursor is new, so nothing is served from a cache. Target: p95 <= 10 ms.
- for context, round trips over LSP: an invoked inline completion with the loopback
  model answering at once, and a classic completion with no model (local items only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "server")]

from bench_lsp import Client  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402

SERVER = [sys.executable, "-m", "lantern", "serve"]
TYPED = "total = compute(item"  # 20 characters
INTERVALS_MS = (30, 60, 120)
REPLY = "s, offset) + 1"


def pick_file() -> tuple[Path, str]:
    """A stdlib module of 1,000-3,000 lines (the same one on every run of a Python)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("argparse.py", "pathlib.py", "typing.py", "inspect.py"):
        path = stdlib / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if len(text.splitlines()) >= 1000:
                return path, text
    raise SystemExit("no 1,000+ line module found in the standard library")


def blank_lines_in_functions(text: str) -> list[tuple[int, str]]:
    """(1-based line number, indentation) of statements inside function bodies, below
    which one can type a new line."""
    lines = text.splitlines()
    spots = []
    for number, line in enumerate(lines[:-1]):
        stripped = line.strip()
        if stripped.startswith(("return ", "x = ", "self.")) and line.startswith("        "):
            indent = line[: len(line) - len(line.lstrip())]
            spots.append((number + 1, indent))
    return spots


# -- over LSP ----------------------------------------------------------------------------


async def start(workspace: Path, inline: bool) -> Client:
    client = await Client.start(SERVER, workspace)
    text_document: dict[str, Any] = {
        "synchronization": {"didSave": True},
        "completion": {"completionItem": {"snippetSupport": False}},
    }
    if inline:
        text_document["inlineCompletion"] = {}
    await client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": workspace.as_uri(),
            "capabilities": {"textDocument": text_document, "workspace": {"configuration": True}},
        },
    )
    client.notify("initialized", {})
    return client


def open_file(client: Client, uri: str, text: str) -> None:
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )


async def bursts(
    workspace: Path, path: Path, text: str, model: OpenAIServer, count: int
) -> dict[int, list[int]]:
    """Model requests per 20-keystroke burst, per typing interval."""
    client = await start(workspace, inline=True)
    uri = path.as_uri()
    open_file(client, uri, text)
    version = 1
    # From the bottom up, so the lines inserted do not move the spots still to come.
    spots = sorted(blank_lines_in_functions(text))
    results: dict[int, list[int]] = {interval: [] for interval in INTERVALS_MS}
    for _ in range(count):
        for interval in INTERVALS_MS:
            line, indent = spots.pop()
            # A new line below `line`, then 20 characters typed on it.
            version += 1
            end_of_line = {"line": line - 1, "character": 10_000}
            change(client, uri, version, end_of_line, "\n" + indent)
            before = completion_requests(model)
            pending = []
            for offset, character in enumerate(TYPED):
                version += 1
                position = {"line": line, "character": len(indent) + offset}
                change(client, uri, version, position, character)
                pending.append(
                    asyncio.ensure_future(
                        client.request(
                            "textDocument/inlineCompletion",
                            {
                                "textDocument": {"uri": uri},
                                "position": {**position, "character": position["character"] + 1},
                                "context": {"triggerKind": 2},
                            },
                        )
                    )
                )
                await asyncio.sleep(interval / 1000)
            await asyncio.gather(*pending)
            results[interval].append(completion_requests(model) - before)
    await client.stop()
    return results


def completion_requests(model: OpenAIServer) -> int:
    """Fill-in-the-middle requests: what completion sends (the loopback supports FIM)."""
    return sum(1 for request in model.generation_requests if request.path == "/v1/completions")


def change(client: Client, uri: str, version: int, position: dict[str, int], text: str) -> None:
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": position, "end": position}, "text": text}],
        },
    )


async def round_trips(
    workspace: Path, path: Path, text: str, samples: int, method: str, inline: bool
) -> list[float]:
    """Client-observed milliseconds of `samples` explicitly invoked completions."""
    client = await start(workspace, inline=inline)
    uri = path.as_uri()
    open_file(client, uri, text)
    spots = blank_lines_in_functions(text)
    random.Random(2).shuffle(spots)
    timings = []
    for line, _indent in (spots * (samples // len(spots) + 1))[:samples]:
        character = len(text.splitlines()[line - 1])
        params: dict[str, Any] = {
            "textDocument": {"uri": uri},
            "position": {"line": line - 1, "character": character},
            "context": {"triggerKind": 1},
        }
        started = time.perf_counter()
        await client.request(method, params)
        timings.append((time.perf_counter() - started) * 1000)
    await client.stop()
    return timings


# -- in process --------------------------------------------------------------------------


async def inside_lantern(
    path: Path, text: str, model: OpenAIServer, samples: int
) -> tuple[list[float], list[float]]:
    """Milliseconds per completion spent in Lantern: engine + AIService, minus the
    provider's measured round trip (SDK and HTTP); and the engine's share alone."""
    from lantern.ai.service import AIService
    from lantern.analysis.languages import detect_language, parse
    from lantern.completion.engine import CompletionEngine, EngineSettings, Request
    from lantern.config import Settings
    from lantern.positions import LineIndex

    settings = Settings.model_validate(
        {
            "ai": {"providers": [{"name": "loopback", "base_url": model.url, "model": "m"}]},
            "cache": {"enabled": False},
        }
    )
    service = AIService(settings)
    latencies: list[float] = []

    async def complete(*args: Any, **kwargs: Any) -> Any:
        result = await service.complete(*args, **kwargs)
        meta = getattr(result, "meta", None)
        latencies.append(meta.latency_ms if meta and meta.latency_ms else 0.0)
        return result

    engine = CompletionEngine(
        complete=complete,
        unavailable=lambda: None,
        on_error=lambda error, request: print(error.message, file=sys.stderr),
        settings=EngineSettings(debounce_ms=0, max_lines=8),
    )
    spec = detect_language(str(path))
    index = LineIndex(text)
    tree = parse(spec, text.encode()) if spec else None
    spots = blank_lines_in_functions(text)
    random.Random(3).shuffle(spots)
    timings, engine_only = [], []
    for number, (line, _indent) in enumerate((spots * (samples // len(spots) + 1))[:samples]):
        offset = index.line_starts[line - 1] + len(index.line_text(line - 1))
        # Each sample at a new cursor text, so no cache can answer it.
        edited = text[:offset] + f" + {number}" + text[offset:]
        edited_index = LineIndex(edited)
        request = Request(
            uri=path.as_uri(),
            path=str(path),
            text=edited,
            index=edited_index,
            offset=offset + len(f" + {number}"),
            language=spec,
            tree=tree,
            invoked=True,
        )
        started = time.perf_counter()
        outcome = await engine.suggest(request)
        total = (time.perf_counter() - started) * 1000
        if outcome.source != "model":
            raise SystemExit(f"unexpected outcome {outcome.source}: {outcome.decision.reason}")
        timings.append(total - latencies[-1])
        engine_only.append(outcome.local_seconds * 1000)
    await service.aclose()
    return timings, engine_only


# -- report ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bursts", type=int, default=5, help="bursts per typing speed")
    parser.add_argument("--samples", type=int, default=200, help="completions to time")
    args = parser.parse_args()
    path_in_stdlib, text = pick_file()
    with tempfile.TemporaryDirectory() as scratch, OpenAIServer(models=("m",)) as model:
        workspace = Path(scratch)
        path = workspace / path_in_stdlib.name
        path.write_text(text, encoding="utf-8")
        # AI reviews on open would ask the model too: only completion is measured here.
        (workspace / "lantern.toml").write_text("[ai]\nreview_on = []\n", encoding="utf-8")
        model.reply_with(REPLY)
        base_env = {
            "XDG_CONFIG_HOME": str(workspace / "xdg"),
            "LANTERN_CACHE_DIR": str(workspace / "cache"),
        }
        for name in ("LANTERN_CONFIG", "LANTERN_AI_BASE_URL", "LANTERN_AI_MODEL"):
            os.environ.pop(name, None)
        os.environ.update(base_env)
        os.environ.update({"LANTERN_AI_BASE_URL": model.url, "LANTERN_AI_MODEL": "m"})
        per_burst = asyncio.run(bursts(workspace, path, text, model, args.bursts))
        inside, engine_only = asyncio.run(inside_lantern(path, text, model, args.samples))
        inline_trips = asyncio.run(
            round_trips(
                workspace, path, text, args.samples // 2, "textDocument/inlineCompletion", True
            )
        )
        os.environ.pop("LANTERN_AI_BASE_URL")
        os.environ.pop("LANTERN_AI_MODEL")
        classic_trips = asyncio.run(
            round_trips(workspace, path, text, args.samples // 2, "textDocument/completion", False)
        )

    lines = len(text.splitlines())
    python = sys.version.split()[0]
    print(f"\nCompletion on {path_in_stdlib.name} ({lines:,} lines), Python {python}")
    print(f"{'measure':<62} {'result':>22}  target")
    for interval, counts in per_burst.items():
        if not counts:
            continue
        label = f"model requests per 20-keystroke burst, {interval} ms between keys"
        result = f"max {max(counts)}, mean {statistics.mean(counts):.1f}"
        print(f"{label:<62} {result:>22}  <= 2")
    model_layer = [total - own for total, own in zip(inside, engine_only, strict=True)]
    rows = [
        ("time inside Lantern per completion, model excluded", inside, "p95 <= 10 ms"),
        ("  of which the completion pipeline (lantern.completion)", engine_only, ""),
        ("  of which the model layer (prompt, redaction; lantern.ai)", model_layer, ""),
        ("inline completion over LSP, instant loopback model", inline_trips, ""),
        ("classic completion over LSP, no model (local items)", classic_trips, ""),
    ]
    for label, values, target in rows:
        result = f"p50 {percentile(values, 0.5):.1f} / p95 {percentile(values, 0.95):.1f} ms"
        print(f"{label:<62} {result:>22}  {target}")


if __name__ == "__main__":
    main()
