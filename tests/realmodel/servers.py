"""Real servers on 127.0.0.1 for the realmodel suite: llama.cpp's OpenAI-compatible
server, a LiteLLM proxy in front of it, and redis-server, each started on a free port,
waited for until it answers, and stopped at the end.

Where they are installed: `.ci/install-realmodel.sh` puts the Python servers in private
virtual environments under `$LANTERN_REALMODEL_HOME` (default
`~/.cache/lantern-realmodel`); redis-server comes from the OS packages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "run `bash .ci/install-realmodel.sh` first"
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
# The model's name as the llama.cpp server serves it (its --model_alias).
LLAMA_MODEL = "gemma-3-270m"


def realmodel_home() -> Path:
    if home := os.environ.get("LANTERN_REALMODEL_HOME"):
        return Path(home)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "lantern-realmodel"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class NotInstalled(Exception):
    """A server the suite needs is missing; the message says how to install it."""


class StartFailed(Exception):
    """A server exited or did not answer in time; the message ends with its log."""


@dataclass
class RunningServer:
    """A started process, where it listens, and its log (shown when it fails)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@contextlib.contextmanager
def started(
    name: str,
    command: Sequence[str],
    port: int,
    log: Path,
    ready: Callable[[], bool],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 180.0,
) -> Iterator[RunningServer]:
    """Run `command` until the end of the block; wait until `ready()` (polled) first."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
    server = RunningServer(name, process, port, log)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None:
                raise StartFailed(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise StartFailed(f"{name} not ready within {timeout:g}s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


def http_ok(url: str, headers: dict[str, str] | None = None) -> Callable[[], bool]:
    def probe() -> bool:
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return 200 <= response.status < 300
        except OSError:
            return False

    return probe


# -- llama.cpp -------------------------------------------------------------------------------


def llama_command(port: int) -> list[str]:
    home = realmodel_home()
    python = home / "llama" / "bin" / "python"
    model = home / "models" / MODEL_FILE
    if not python.exists() or not model.exists():
        raise NotInstalled(f"llama-cpp-python or the model is not in {home}: {INSTALL_HINT}")
    return [
        str(python),
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        LLAMA_MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        # Room for a review prompt (its default budget is 6000 tokens) and its answer.
        "--n_ctx",
        "8192",
        "--n_threads",
        "2",
    ]


@contextlib.contextmanager
def llama_server(directory: Path) -> Iterator[RunningServer]:
    port = free_port()
    command = llama_command(port)
    url = f"http://127.0.0.1:{port}/v1/models"
    with started("llama.cpp server", command, port, directory / "llama.log", http_ok(url)) as s:
        yield s


# -- LiteLLM ---------------------------------------------------------------------------------

LITELLM_KEY = "sk-lantern-test-master-key"


def litellm_config(upstream: str, dead: str) -> str:
    """Two model names: `gemma` routed to the llama.cpp server, `dead-route` to a port
    nothing listens on."""
    return f"""model_list:
  - model_name: gemma
    litellm_params:
      model: openai/{LLAMA_MODEL}
      api_base: {upstream}
      api_key: none
  - model_name: dead-route
    litellm_params:
      model: openai/{LLAMA_MODEL}
      api_base: {dead}
      api_key: none
litellm_settings:
  num_retries: 0
  request_timeout: 120
  telemetry: false
general_settings:
  master_key: {LITELLM_KEY}
"""


@contextlib.contextmanager
def litellm_proxy(directory: Path, upstream: str) -> Iterator[RunningServer]:
    executable = realmodel_home() / "litellm" / "bin" / "litellm"
    if not executable.exists():
        raise NotInstalled(f"litellm is not in {realmodel_home()}: {INSTALL_HINT}")
    config = directory / "litellm.yaml"
    config.write_text(litellm_config(upstream, f"http://127.0.0.1:{free_port()}/v1"))
    port = free_port()
    command = [str(executable), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    env = {
        # Offline: the bundled model price list, no telemetry, no update checks.
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "NO_DOCS": "True",
    }
    ready = http_ok(f"http://127.0.0.1:{port}/health/liveliness")
    with started("LiteLLM proxy", command, port, directory / "litellm.log", ready, env=env) as s:
        yield s


# -- Redis -----------------------------------------------------------------------------------


def redis_ready(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                # PONG, or NOAUTH from a server that wants a password: either way it serves.
                return connection.recv(16).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    return probe


@contextlib.contextmanager
def redis_server(directory: Path, extra: Sequence[str] = ()) -> Iterator[RunningServer]:
    """A throw-away redis-server: loopback only, no persistence, its files in `directory`;
    `extra` arguments added (e.g. `--requirepass`)."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise NotInstalled(f"redis-server is not installed: {INSTALL_HINT}")
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    command = [
        executable,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
        *extra,
    ]
    log = directory / f"redis-{port}.log"
    with started("redis-server", command, port, log, redis_ready(port), timeout=30) as s:
        yield s
