"""Shared fixtures: a loopback OpenAI-compatible server (see tests/support/openai_server.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.openai_server import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A running server on 127.0.0.1 that knows the model `test-model`."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def openai_servers() -> Iterator[Callable[..., OpenAIServer]]:
    """Start as many servers as a test needs: `openai_servers(models=(...), ...)`."""
    started: list[OpenAIServer] = []

    def start(*args: object, **kwargs: object) -> OpenAIServer:
        server = OpenAIServer(*args, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def model() -> Iterator[OpenAIServer]:
    """The loopback OpenAI-compatible server answering as a code model (code_model.answer)."""
    from tests.support import code_model

    server = OpenAIServer().start()
    server.responder = code_model.answer
    yield server
    server.stop()
