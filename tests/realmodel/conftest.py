"""The realmodel suite: Lantern against real servers (llama.cpp, a LiteLLM proxy, Redis).

Opt-in locally, because the servers take minutes to install (`bash
.ci/install-realmodel.sh`): the tests run with `LANTERN_REALMODEL=1` or when `-m` selects
the `realmodel` marker, and are skipped with that hint otherwise. CI sets the variable.
Once enabled, a missing server is a failure, never a silent skip.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.realmodel import servers

OPT_IN = (
    "real-server tests are opt-in: `bash .ci/install-realmodel.sh`, then set "
    "LANTERN_REALMODEL=1 or run `pytest -m realmodel`"
)
HERE = Path(__file__).parent
T = TypeVar("T")


def enabled(config: pytest.Config) -> bool:
    if os.environ.get("LANTERN_REALMODEL", "") not in ("", "0"):
        return True
    expression = config.getoption("markexpr", "") or ""
    return "realmodel" in expression and "not realmodel" not in expression


@pytest.hookimpl(tryfirst=True)  # mark before `-m` selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on = enabled(config)
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.realmodel)
            if not on:
                item.add_marker(pytest.mark.skip(reason=OPT_IN))


@contextlib.contextmanager
def required(context: contextlib.AbstractContextManager[T]) -> Iterator[T]:
    """Enter a server's context; a missing or failing server fails the test, with how."""
    try:
        with context as server:
            yield server
    except (servers.NotInstalled, servers.StartFailed) as problem:
        pytest.fail(str(problem), pytrace=False)


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.RunningServer]:
    """llama.cpp's server with Gemma 3 270M, shared by the session (loading takes seconds)."""
    with required(servers.llama_server(tmp_path_factory.mktemp("llama"))) as server:
        yield server


@pytest.fixture
def litellm(
    tmp_path_factory: pytest.TempPathFactory, llama: servers.RunningServer
) -> Iterator[servers.RunningServer]:
    """A LiteLLM proxy routing `gemma` to the llama.cpp server and `dead-route` nowhere;
    a fresh one per test (once, a request through a proxy shared with the test before
    it never reached llama.cpp: each test's verdict stays its own)."""
    directory = tmp_path_factory.mktemp("litellm")
    with required(servers.litellm_proxy(directory, llama.url)) as server:
        yield server


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[servers.RunningServer]:
    """A fresh redis-server for one test."""
    with required(servers.redis_server(tmp_path / "redis")) as server:
        yield server
