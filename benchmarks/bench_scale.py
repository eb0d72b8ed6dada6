"""Scale in the editor: many open documents, a long file, a 2 MB one-line file.

Run on demand (never from the test suite):

    python benchmarks/bench_scale.py [--documents 200] [--baseline CHECKOUT] [--no-ruff]
                                     [--scenario many|long|minified|text ...]

Each server runs once per scenario, fresh, over stdio (pull diagnostics):
- many documents: `--documents` files open at once (Python from the standard library,
  and generated JavaScript, TypeScript and Go, about 300 lines each): the time until
  all have diagnostics, the server's peak RSS, and the latency of an edit -> that
  document's diagnostics over 20 edits spread over the documents (median and max);
- a 10,000-line Python file (the standard library's `typing.py`, three times): open ->
  diagnostics, 20 keystrokes in a function -> diagnostics, a codeAction round trip;
- `typing.py` with a non-ASCII character, and with CRLF line endings: 20 keystrokes in a
  function -> diagnostics (a position conversion that scans the whole text per keystroke
  shows here first);
- a 1.5 MB minified JavaScript line (under the 2 MB default size cap): open ->
  diagnostics of that file, and, sent while it is being parsed and analysed, a small
  document's diagnostics and code actions (nothing may wait for the big file), then
  code actions and completion in the big file: the slowest of those answers, which the
  issue wants under 500 ms.

`--baseline` adds a column for another checkout's server (its `server/` first on
`PYTHONPATH`). ruff server is shown where it applies (Python) for scale, if installed.
Prints Markdown tables of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lsp import (  # noqa: E402
    Client,
    capabilities,
    compile_bytecode,
    edit_scenarios,
    peak_rss_mb,
    stdlib_file,
)

LANGUAGE_IDS = {".py": "python", ".js": "javascript", ".ts": "typescript", ".go": "go"}


def generated(extension: str, index: int, functions: int = 30) -> str:
    """About 10 lines per function of plain code in one language."""
    parts = []
    for n in range(functions):
        name = f"handle{index}_{n}"
        if extension == ".go":
            parts.append(
                f"func {name}(items []string, limit int) (int, error) {{\n"
                "\ttotal := 0\n\tfor i, item := range items {\n"
                '\t\tif i > limit {\n\t\t\treturn total, fmt.Errorf("too many: %d", i)\n'
                "\t\t}\n\t\ttotal += len(item)\n\t}\n\treturn total, nil\n}\n"
            )
        else:
            typed = ": string[]" if extension == ".ts" else ""
            parts.append(
                f"export function {name}(items{typed}, limit) {{\n  let total = 0;\n"
                "  for (let i = 0; i < items.length; i++) {\n"
                "    if (i > limit) {\n      throw new Error(`too many: ${i}`);\n    }\n"
                "    total += items[i].length;\n  }\n  return total;\n}\n"
            )
    header = 'package main\n\nimport "fmt"\n\n' if extension == ".go" else ""
    return header + "\n".join(parts)


def documents(folder: Path, count: int) -> list[Path]:
    """`count` files: 70 % Python from the standard library, the rest generated."""
    library = Path(stdlib_file()).parent
    python = sorted(p for p in library.glob("*.py") if 100 < p.read_bytes().count(b"\n") < 1500)[
        : int(count * 0.7)
    ]
    paths = []
    for source in python:
        target = folder / source.name
        shutil.copyfile(source, target)
        paths.append(target)
    extensions = [".js", ".ts", ".go"]
    for index in range(count - len(paths)):
        extension = extensions[index % 3]
        target = folder / f"generated{index}{extension}"
        target.write_text(generated(extension, index))
        paths.append(target)
    return paths


async def start(command: list[str], env: dict[str, str] | None, folder: Path) -> Client:
    client = await Client.start(command, folder, env)
    await client.request(
        "initialize",
        {"processId": os.getpid(), "rootUri": folder.as_uri(), "capabilities": capabilities(True)},
    )
    client.notify("initialized", {})
    return client


def open_document(client: Client, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": uri,
                "languageId": LANGUAGE_IDS.get(path.suffix, "python"),
                "version": 1,
                "text": text if text is not None else path.read_text(),
            }
        },
    )
    return uri


def insert(client: Client, uri: str, version: int, line: int, column: int, text: str) -> None:
    at = {"line": line, "character": column}
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": at, "end": at}, "text": text}],
        },
    )


async def timed(coroutine: Any) -> float:
    started = time.perf_counter()
    await coroutine
    return (time.perf_counter() - started) * 1000


def code_action(client: Client, uri: str, line: int, end_character: int = 4) -> Any:
    where = {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 4}}
    where["end"]["character"] = end_character
    return client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": where, "context": {"diagnostics": []}},
    )


async def many_documents(command: list[str], env: Any, folder: Path, count: int) -> dict:
    paths = documents(folder, count)
    client = await start(command, env, folder)
    started = time.perf_counter()
    uris = [open_document(client, path) for path in paths]
    for uri in uris:
        await client.diagnostics(uri, 1, True)
    opened = (time.perf_counter() - started) * 1000
    latencies = []
    for round_ in range(20):
        index = (round_ * 37) % len(paths)
        lines = paths[index].read_text().splitlines()
        line = next(n for n in range(len(lines) // 2, len(lines)) if lines[n].strip())
        insert(client, uris[index], 2 + round_, line, len(lines[line]), " ")
        latencies.append(await timed(client.diagnostics(uris[index], 0, True)))
    rss = peak_rss_mb(client.process.pid)
    await client.stop()
    return {
        f"{count} documents: open -> all diagnostics (ms)": opened,
        f"{count} documents: peak RSS (MB)": rss,
        f"{count} documents: edit -> diagnostics, median (ms)": statistics.median(latencies),
        f"{count} documents: edit -> diagnostics, max (ms)": max(latencies),
    }


async def long_file(command: list[str], env: Any, folder: Path) -> dict:
    text = stdlib_file().read_text() * 3
    path = folder / "long.py"
    path.write_text(text)
    client = await start(command, env, folder)
    started = time.perf_counter()
    uri = open_document(client, path, text)
    await client.diagnostics(uri, 1, True)
    opened = (time.perf_counter() - started) * 1000
    line, column, typed = edit_scenarios(text)["edit in function"]
    started = time.perf_counter()
    for offset, character in enumerate(typed):
        insert(client, uri, 2 + offset, line, column + offset, character)
    await client.diagnostics(uri, 0, True)
    edited = (time.perf_counter() - started) * 1000
    actions = [await timed(code_action(client, uri, line)) for _ in range(10)]
    await client.stop()
    lines = text.count("\n")
    return {
        f"{lines:,}-line file: open -> diagnostics (ms)": opened,
        f"{lines:,}-line file: 20 keystrokes -> diagnostics (ms)": edited,
        f"{lines:,}-line file: codeAction (ms)": statistics.median(actions),
    }


async def text_variants(command: list[str], env: Any, folder: Path) -> dict:
    """`typing.py` as files in the wild hold it: with one non-ASCII character (a © in a
    header) and with CRLF line endings. 20 keystrokes in a function -> diagnostics, a
    second after the open (as bench_lsp's edit row)."""
    base = stdlib_file().read_text()
    variants = {
        "non-ASCII": "# Copyright © 2024\n" + base,
        "CRLF": base.replace("\n", "\r\n"),
    }
    figures = {}
    for name, text in variants.items():
        path = folder / f"{name.lower()}.py"
        path.write_bytes(text.encode())
        client = await start(command, env, folder)
        uri = open_document(client, path, text)
        await client.diagnostics(uri, 1, True)
        await asyncio.sleep(1.0)
        line, column, typed = edit_scenarios(text)["edit in function"]
        started = time.perf_counter()
        for offset, character in enumerate(typed):
            insert(client, uri, 2 + offset, line, column + offset, character)
        await client.diagnostics(uri, 0, True)
        figures[f"typing.py, {name}: 20 keystrokes -> diagnostics (ms)"] = (
            time.perf_counter() - started
        ) * 1000
        await client.stop()
    return figures


def still_analysing(item: dict[str, Any]) -> bool:
    """Lantern's notice that a large file's findings are not computed yet."""
    return item.get("code") == "lantern" and "still analysing" in item.get("message", "")


async def minified(command: list[str], env: Any, folder: Path) -> dict:
    # 1.5 MB of calls on one line (under the default diagnostics.max_file_size, 2 MB),
    # with a finding in one call of 500, as a bundle has a few, not one per statement.
    calls = (f"f{i % 7}('s{i}',{'x==x' if i % 500 == 0 else 'x'})" for i in range(100_000))
    text = ";".join(calls) + "\n"
    big, small = folder / "bundle.min.js", folder / "small.py"
    small.write_text("import os\n\n\ndef run(path):\n    return os.system(path)\n")
    client = await start(command, env, folder)
    small_uri = open_document(client, small)
    await client.diagnostics(small_uri, 1, True)
    started = time.perf_counter()
    big_uri = open_document(client, big, text)
    own_answers: list[float] = []

    async def until_complete() -> None:
        # A server may answer "still analysing" at first: pull until the findings are there.
        while True:
            pulled = time.perf_counter()
            items = await client.diagnostics(big_uri, 0, True)
            own_answers.append((time.perf_counter() - pulled) * 1000)
            if not any(still_analysing(item) for item in items):
                return
            await asyncio.sleep(0.1)

    complete = asyncio.ensure_future(until_complete())
    await asyncio.sleep(0.05)  # the big file's parse and analysis are under way
    others: list[float] = []
    while not complete.done() or not others:
        others.append(await timed(client.diagnostics(small_uri, 0, True)))
        others.append(await timed(code_action(client, small_uri, 4)))
    await complete
    opened = (time.perf_counter() - started) * 1000
    requests = [
        await timed(code_action(client, big_uri, 0, 2000)),
        await timed(
            client.request(
                "textDocument/completion",
                {"textDocument": {"uri": big_uri}, "position": {"line": 0, "character": 1000}},
            )
        ),
        await timed(client.diagnostics(big_uri, 0, True)),
    ]
    await client.stop()
    return {
        "1.5 MB line: open -> complete diagnostics (ms)": opened,
        "1.5 MB line: meanwhile, another document's pull or codeAction, slowest (ms)": max(others),
        "1.5 MB line: its own requests (pulls, codeAction, completion), slowest (ms)": max(
            own_answers + requests
        ),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--baseline", type=Path, help="Another checkout to compare with")
    parser.add_argument("--no-ruff", action="store_true", help="Leave ruff server out")
    parser.add_argument(
        "--scenario",
        choices=("many", "long", "minified", "text"),
        action="append",
        help="Run only this scenario (repeatable; default: all)",
    )
    args = parser.parse_args()
    compile_bytecode(args.baseline)
    python = sys.executable
    serve = [python, "-m", "lantern", "serve"]
    servers: dict[str, tuple[list[str], Any]] = {"lantern": (serve, None)}
    if args.baseline is not None:
        path = {"PYTHONPATH": str(args.baseline.resolve() / "server")}
        servers["baseline"] = (serve, path)
    ruff = shutil.which("ruff", path=str(Path(python).parent)) or shutil.which("ruff")
    if ruff and not args.no_ruff:
        servers["ruff server"] = ([ruff, "server"], None)
    results: dict[str, dict[str, float]] = {name: {} for name in servers}
    for name, (command, env) in servers.items():
        for scenario in args.scenario or ("many", "long", "minified", "text"):
            if scenario == "minified" and name == "ruff server":
                continue  # not a Python file: nothing to compare
            with tempfile.TemporaryDirectory(prefix="lantern-scale-") as scratch:
                folder = Path(scratch)
                if scenario == "many":
                    figures = await many_documents(command, env, folder, args.documents)
                elif scenario == "long":
                    figures = await long_file(command, env, folder)
                elif scenario == "text":
                    figures = await text_variants(command, env, folder)
                else:
                    figures = await minified(command, env, folder)
            results[name].update(figures)
    names = list(servers)
    print("| scenario | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for metric in results["lantern"]:
        cells = [f"{results[n][metric]:.0f}" if metric in results[n] else "-" for n in names]
        print(f"| {metric} | " + " | ".join(cells) + " |")
    print("(ruff server analyses only the Python documents)")


if __name__ == "__main__":
    asyncio.run(main())
