"""Drive the real server over stdio with pytest-lsp.

`lantern_client(...)` starts `python -m lantern serve` in a clean environment (no user
config, a private cache), initializes it with the given capabilities, and records
every notification the tests wait on. Tests wait on notifications, never on sleeps.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Union

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER_COMMAND = [sys.executable, "-m", "lantern", "serve"]
WAIT_SECONDS = 15.0


class RecordingClient(LanguageClient):
    """pytest-lsp's client that also keeps every publishDiagnostics, in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.initialize_result: types.InitializeResult | None = None
        self.registrations: list[types.Registration] = []
        self.changed = asyncio.Event()
        self.refreshes = 0  # workspace/diagnostic/refresh requests received

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Wait until `predicate()` is truthy (re-checked on each notification); return it."""
        async with asyncio.timeout(timeout):
            while not (result := predicate()):
                self.changed.clear()
                await self.changed.wait()
        return result

    async def diagnostics_for(
        self, uri: str, version: int | None = None
    ) -> types.PublishDiagnosticsParams:
        """The first publication for `uri` (at `version`, when given)."""

        def find() -> types.PublishDiagnosticsParams | None:
            for params in self.published:
                if params.uri == uri and (version is None or params.version == version):
                    return params
            return None

        return await self.wait_until(find)


def _noticing(method: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a default client handler so waiters re-check after it ran."""

    def noticed(ls: RecordingClient, params: Any) -> Any:  # pygls passes the client as `ls`
        if isinstance(params, types.PublishDiagnosticsParams):
            ls.published.append(params)
        if method == types.WORKSPACE_DIAGNOSTIC_REFRESH:
            ls.refreshes += 1
        result = handler(ls, params)
        ls.changed.set()
        return result

    return noticed


_NOTICED = (
    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
    types.WINDOW_SHOW_MESSAGE,
    types.WINDOW_LOG_MESSAGE,
    types.WORKSPACE_DIAGNOSTIC_REFRESH,
    types.PROGRESS,
    types.WINDOW_SHOW_DOCUMENT,
)


def _converter() -> Any:
    """pygls's converter, reading `Command | CodeAction` as VS Code does: a Command's
    `command` is a string. (lsprotocol 2025.0.0 reads every CodeAction that carries a
    command as a Command, losing its kind and diagnostics.)"""
    converter = default_converter()

    def command_or_action(value: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, command_or_action)
    converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - the typing form lsprotocol uses
        command_or_action,
    )
    return converter


def _recording_client(own: dict[str, Callable[..., Any]] | None = None) -> RecordingClient:
    """The client, with pytest-lsp's handlers of server requests, or `own` ones."""
    client = RecordingClient(converter_factory=_converter)
    features = {
        method: _noticing(method, handler) if method in _NOTICED else handler
        for method, handler in {**DEFAULT_CLIENT_FEATURES, **(own or {})}.items()
    }
    register_lsp_features(client, features)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(ls: RecordingClient, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)  # as an editor would, accept it

    return client


def push_capabilities() -> types.ClientCapabilities:
    """VS Code 1.65's capabilities: diagnostics are pushed, positions are UTF-16."""
    return client_capabilities("visual-studio-code")


def pull_capabilities() -> types.ClientCapabilities:
    """Neovim 0.11's capabilities: it pulls diagnostics (LSP 3.17) and prefers UTF-8."""
    capabilities = client_capabilities("neovim")
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    return capabilities


@asynccontextmanager
async def lantern_client(
    tmp_path: Path,
    *,
    capabilities: types.ClientCapabilities | None = None,
    initialization_options: Any = None,
    configuration: Any = None,
    env: dict[str, str] | None = None,
    workspace: Path | None = None,
    folders: list[Path] | None = None,
    client_features: dict[str, Callable[..., Any]] | None = None,
) -> AsyncIterator[RecordingClient]:
    """A started, initialized server; `folders` are the workspace folders (default: the
    one `workspace`, itself defaulting to `tmp_path`); `client_features` replace the
    client's handlers of those server requests (method -> handler)."""
    server_env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "LANTERN_CACHE_DIR": str(tmp_path / "cache"),
        **(env or {}),
    }
    for name in ("LANTERN_CONFIG", "LANTERN_AI_BASE_URL", "LANTERN_AI_MODEL", "LANTERN_AI_API_KEY"):
        if name not in (env or {}):
            server_env.pop(name, None)
    config = ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env=server_env,
        client_factory=lambda: _recording_client(client_features),
    )
    client: RecordingClient = await config.start()  # type: ignore[assignment]
    if configuration is not None:
        client.set_configuration(configuration, section="lantern")
    folders = folders or [workspace or tmp_path]
    client.initialize_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or push_capabilities(),
            initialization_options=initialization_options,
            root_uri=folders[0].as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
        )
    )
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def open_document(
    client: LanguageClient, uri: str, text: str, language_id: str = "python", version: int = 1
) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language_id, version=version, text=text
            )
        )
    )


def change_document(
    client: LanguageClient,
    uri: str,
    version: int,
    text: str,
    start: tuple[int, int] | None = None,
    end: tuple[int, int] | None = None,
) -> None:
    """Send one change: a ranged edit, or the whole text when no range is given."""
    if start is None:
        change: types.TextDocumentContentChangeEvent = types.TextDocumentContentChangeWholeDocument(
            text=text
        )
    else:
        end = end or start
        change = types.TextDocumentContentChangePartial(
            range=types.Range(
                start=types.Position(line=start[0], character=start[1]),
                end=types.Position(line=end[0], character=end[1]),
            ),
            text=text,
        )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[RecordingClient]:
    """A server initialized as VS Code 1.65 would (push diagnostics, UTF-16 positions)."""
    async with lantern_client(tmp_path) as started:
        yield started
