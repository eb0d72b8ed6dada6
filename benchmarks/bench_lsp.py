"""Benchmark Lantern's language server against `ruff server` and a bare pygls server.

Run on demand (never from the test suite):

    python benchmarks/bench_lsp.py [--repeat 7] [--file PATH] [--startup-only]
                                   [--baseline CHECKOUT] [--open-delay SECONDS]

For each server, in interleaved repetitions (every server once per round, in a fresh
random order), it measures over stdio:
- startup: process spawn -> `initialize` answered;
- open -> first diagnostics: `didOpen` of a 3,000+ line Python file -> the first report of
  its diagnostics, sent right after `initialized` (or `--open-delay` seconds later, as an
  editor that opens a file a moment after start-up: what the background warm-up has
  prepared by then). A server may answer with part of them first (Lantern answers with
  the syntax errors while its one-time work is under way) and ask for a pull again
  (`workspace/diagnostic/refresh`, which the client supports, as VS Code does) or publish
  again; so
- open -> all diagnostics: -> the first report equal to the last one before the server
  has been quiet for `SETTLE` seconds;
- edit -> diagnostics: 20 keystrokes sent back to back -> diagnostics for the last one,
  typed inside a function and then at the top level of the module;
- codeAction: the median round trip of 20 `textDocument/codeAction` requests at a line of
  the file, one after the other, with the server idle (and the first of them alone: what
  the first light bulb of a session waits for);
- peak RSS: the server process's `VmHWM` just before shutdown, in MB.

Diagnostics are pulled (`textDocument/diagnostic`, as VS Code does) for every server that
offers it; Lantern is also measured in push mode, which includes its debounce. The file
is copied from the running interpreter's standard library. Prints medians and ratios.
`--baseline` adds a row for another checkout's server (its `server/` folder first on
`PYTHONPATH`, same interpreter and dependencies): before/after figures in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass
class Server:
    name: str
    command: list[str]
    pull: bool  # ask for diagnostics (pull) instead of waiting for publishDiagnostics
    env: dict[str, str] | None = None  # added to the environment
    results: dict[str, list[float]] = field(default_factory=dict)


class Client:
    """The least LSP client that can time a server: raw JSON-RPC over the process's pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.waiters: dict[int, asyncio.Future[Any]] = {}
        self.notifications: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.refreshed = asyncio.Event()  # the server asked for diagnostics to be pulled again
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(
        cls, command: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> Client:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=server_environment(env),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.waiters[self.next_id] = future
        self._send({"id": self.next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, 60)

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await stdout.readexactly(length))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"id": message["id"], "result": _answer(message)})
                if message["method"] == "workspace/diagnostic/refresh":
                    self.refreshed.set()
            elif "error" in message:
                error = RuntimeError(f"{self.process.pid}: {message['error'].get('message')}")
                self.waiters.pop(message["id"]).set_exception(error)
            elif "id" in message:
                self.waiters.pop(message["id"]).set_result(message.get("result"))
            else:
                await self.notifications.put(message)

    async def diagnostics(self, uri: str, version: int, pull: bool) -> list[Any]:
        if pull:
            report = await self.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
            return report.get("items", [])
        while True:
            message = await asyncio.wait_for(self.notifications.get(), 60)
            params = message.get("params", {})
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and params.get("uri") == uri
                and params.get("version", version) == version
            ):
                return params["diagnostics"]

    async def stop(self) -> None:
        try:
            await self.request("shutdown", None)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 5)
        except (TimeoutError, ConnectionError, KeyError, RuntimeError):
            if self.process.returncode is None:
                self.process.kill()
        self.reader.cancel()


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a server runs in: this one, plus `extra`, but writing bytecode
    caches, as an installed package has them (`PYTHONDONTWRITEBYTECODE` would make every
    start compile Lantern's sources again: 100+ ms that no user pays)."""
    environment = {**os.environ, **(extra or {})}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def _answer(message: dict[str, Any]) -> Any:
    if message["method"] == "workspace/configuration":
        return [None for _ in message["params"]["items"]]
    return None


def capabilities(pull: bool) -> dict[str, Any]:
    text_document: dict[str, Any] = {
        "synchronization": {"didSave": True},
        "publishDiagnostics": {"versionSupport": True},
    }
    workspace: dict[str, Any] = {"configuration": True}
    if pull:
        text_document["diagnostic"] = {"dynamicRegistration": False}
        workspace["diagnostics"] = {"refreshSupport": True}
    return {"textDocument": text_document, "workspace": workspace}


# Seconds without a new report after which a document's diagnostics count as complete.
SETTLE = 1.0


async def all_diagnostics(client: Client, uri: str, first: list[Any], pull: bool) -> float:
    """Follow the reports after `first` (pulling again when asked to) until the server has
    been quiet for `SETTLE` seconds; the time the final report first arrived."""
    reports = [(time.perf_counter(), first)]
    while True:
        try:
            if pull:
                await asyncio.wait_for(client.refreshed.wait(), SETTLE)
                client.refreshed.clear()
            reports.append(
                (
                    time.perf_counter(),
                    await asyncio.wait_for(client.diagnostics(uri, 1, pull), SETTLE),
                )
            )
        except TimeoutError:
            break
    final = reports[-1][1]
    return next(when for when, items in reports if items == final)


async def measure(
    server: Server,
    path: Path,
    text: str,
    workspace: Path,
    startup_only: bool = False,
    open_delay: float = 0.0,
) -> None:
    uri = path.as_uri()
    started = time.perf_counter()
    client = await Client.start(server.command, workspace, server.env)
    await client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": workspace.as_uri(),
            "capabilities": capabilities(server.pull),
        },
    )
    record(server, "startup", started)
    if startup_only:  # no clean shutdown: some servers wait for `initialized` first
        client.process.kill()
        await client.process.wait()
        client.reader.cancel()
        return
    client.notify("initialized", {})
    if open_delay:  # an editor that opens its first file a moment after start-up
        await asyncio.sleep(open_delay)

    started = time.perf_counter()
    client.refreshed.clear()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    first = await client.diagnostics(uri, 1, server.pull)
    record(server, "open -> first diagnostics", started)
    complete = await all_diagnostics(client, uri, first, server.pull)
    server.results.setdefault("open -> all diagnostics", []).append((complete - started) * 1000)

    version = 1
    for metric, (line, column, typed) in edit_scenarios(text).items():
        started = time.perf_counter()
        for offset, character in enumerate(typed):
            version += 1
            position = {"line": line, "character": column + offset}
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [
                        {"range": {"start": position, "end": position}, "text": character}
                    ],
                },
            )
        await client.diagnostics(uri, version, server.pull)
        record(server, metric, started)

    line = len(text.splitlines()) // 3
    where = {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 4}}
    round_trips = []
    for _ in range(20):
        started = time.perf_counter()
        await client.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": where, "context": {"diagnostics": []}},
        )
        round_trips.append((time.perf_counter() - started) * 1000)
    server.results.setdefault("first codeAction", []).append(round_trips[0])
    server.results.setdefault("codeAction", []).append(statistics.median(round_trips))
    server.results.setdefault("peak RSS (MB)", []).append(peak_rss_mb(client.process.pid))
    await client.stop()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (Linux `VmHWM`), in MB; NaN elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def edit_scenarios(text: str) -> dict[str, tuple[int, int, str]]:
    """Where one types 20 characters: at the end of a `return` inside a function, and on a
    blank line between two top-level definitions (a new module-level statement)."""
    lines = text.splitlines()
    middle = len(lines) // 2
    in_function = next(
        n for n in range(middle, len(lines)) if lines[n].startswith("        return ")
    )
    top_level = next(
        n
        for n in range(middle, len(lines) - 1)
        if not lines[n].strip() and lines[n + 1].startswith(("def ", "class "))
    )
    return {
        "edit in function": (in_function, len(lines[in_function]), " or compute(4, 2, 3)"),
        "edit at top level": (top_level, 0, "total = compute(4, 2)"[:20]),
    }


def record(server: Server, metric: str, started: float) -> None:
    server.results.setdefault(metric, []).append((time.perf_counter() - started) * 1000)


def stdlib_file(minimum_lines: int = 3000) -> Path:
    library = Path(sysconfig.get_paths()["stdlib"])
    for name in ("typing.py", "inspect.py", "_pydecimal.py", "argparse.py"):
        candidate = library / name
        if candidate.exists() and candidate.read_text().count("\n") >= minimum_lines:
            return candidate
    raise SystemExit(f"no standard-library file of {minimum_lines}+ lines found in {library}")


def compile_bytecode(baseline: Path | None = None) -> None:
    """Write the .pyc files of Lantern's modules (and the baseline's), as an installed
    package has them: with PYTHONDONTWRITEBYTECODE set, or after an edit, each server
    would otherwise compile every changed module from source on every start (~10 ms of
    start-up, more on the first open), a cost no installed server pays."""
    import compileall

    import lantern

    roots = [Path(lantern.__file__).resolve().parent]
    if baseline is not None:
        roots.append(baseline.resolve() / "server" / "lantern")
    for root in roots:
        compileall.compile_dir(root, quiet=1)


def servers(baseline: Path | None = None) -> list[Server]:
    python = sys.executable
    found = [
        Server("lantern (pull)", [python, "-m", "lantern", "serve"], pull=True),
        Server("lantern (push)", [python, "-m", "lantern", "serve"], pull=False),
        Server("`lantern serve`", [str(Path(python).with_name("lantern")), "serve"], pull=True),
        Server("bare pygls", [python, str(HERE / "bare_pygls_server.py")], pull=True),
    ]
    if baseline is not None:
        path = {"PYTHONPATH": str(baseline.resolve() / "server")}
        found.insert(1, Server("baseline (pull)", [python, "-m", "lantern", "serve"], True, path))
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(python).parent))
    if ruff:
        found.append(Server("ruff server (pull)", [ruff, "server"], pull=True))
    else:
        print("ruff not found: `pip install ruff` to compare with `ruff server`", file=sys.stderr)
    return found


def report(all_servers: list[Server], source: Path, lines: int, repeat: int) -> None:
    """A Markdown table: a row per metric, a column per server (medians), then Lantern's
    figure (the first row's server) as a ratio of ruff server's and the bare pygls one's."""
    lantern = all_servers[0]
    peers = {s.name: s for s in all_servers if s.name in ("ruff server (pull)", "bare pygls")}
    print(f"\nFile: {source} ({lines:,} lines), {repeat} interleaved repetitions, medians")
    names = [s.name for s in all_servers]
    ratios = [f"{lantern.name} / {name}" for name in peers]
    print("| metric | " + " | ".join(names + ratios) + " |")
    print("|---|" + "---:|" * (len(names) + len(ratios)))
    for metric in lantern.results:
        unit = "" if metric.endswith("(MB)") else " ms"
        cells = []
        for server in all_servers:
            values = server.results.get(metric)
            cells.append(f"{statistics.median(values):.1f}{unit}" if values else "-")
        mine = statistics.median(lantern.results[metric])
        for peer in peers.values():
            values = peer.results.get(metric)
            theirs = statistics.median(values) if values else 0
            cells.append(f"{mine / theirs:.1f}x" if theirs else "-")
        print(f"| {metric} | " + " | ".join(cells) + " |")
    print("(bare pygls publishes no findings and offers no actions: the framework's floor)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--file", type=Path, help="Python file to open (default: from stdlib)")
    parser.add_argument(
        "--startup-only", action="store_true", help="Measure start-up alone (quicker, more runs)"
    )
    parser.add_argument(
        "--baseline", type=Path, help="Another checkout of Lantern to compare with (a row)"
    )
    parser.add_argument(
        "--open-delay",
        type=float,
        default=0.0,
        help="Seconds between `initialized` and `didOpen` (default 0: at once)",
    )
    args = parser.parse_args()
    source = args.file or stdlib_file()
    text = source.read_text()
    all_servers = servers(args.baseline)
    compile_bytecode(args.baseline)
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        path = workspace / source.name
        path.write_text(text)
        for server in all_servers:  # warm the file system and .pyc caches, not recorded
            await measure(server, path, text, workspace)
            server.results.clear()
        for _ in range(args.repeat):
            # A fresh order each round, so no server always runs after the same one.
            for server in random.sample(all_servers, len(all_servers)):
                await measure(server, path, text, workspace, args.startup_only, args.open_delay)
    report(all_servers, source, text.count("\n"), args.repeat)


if __name__ == "__main__":
    asyncio.run(main())
