"""Settings from the client and the project files, per workspace folder and per project.

Each document is analysed with: the user file < the nearest `pyproject.toml`
`[tool.lantern]` / `lantern.toml` above it < the environment < `initializationOptions` <
the `workspace/configuration` section for the workspace folder that holds it
(`scopeUri`). Settings are loaded on `initialized` (not in `initialize`, which must
answer fast) and again on `workspace/didChangeConfiguration`, when workspace folders
are added or removed, and when a `lantern.toml` or `pyproject.toml` changes on disk.
Invalid keys never stop the server: they are dropped and the user is told once which
key was wrong and what is used instead.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from lantern.config_sources import lsp_layer, project_layers, user_layers
from lantern.lsp.server import LanternServer

if TYPE_CHECKING:
    from lantern.config import ConfigLayer, Settings

log = logging.getLogger(__name__)

SECTION = "lantern"
CONFIG_FILES = ("lantern.toml", "pyproject.toml")


def register(server: LanternServer) -> None:
    @server.handler(types.INITIALIZED)
    def initialized(ls: LanternServer, params: types.InitializedParams) -> None:
        from lantern.lsp.diagnostics import warm_up

        warm_up(ls)  # in the background, while the client answers about the settings
        _watch_config_files(ls)
        # A task of its own, not part of handling `initialized` (see reload's `first`).
        ls.first_load = asyncio.get_running_loop().create_task(_first_load(ls))

    @server.handler(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LanternServer, params: types.DidChangeConfigurationParams
    ) -> None:
        ls.pushed_settings = params.settings
        await reload(ls)

    @server.handler(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_workspace_folders(
        ls: LanternServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        session = ls.session
        removed = {folder.uri for folder in params.event.removed}
        folders = [uri for uri in session.workspace_folders if uri not in removed]
        folders += [f.uri for f in params.event.added if f.uri not in folders]
        session.workspace_folders = folders
        session.workspace_root = _path(folders[0]) if folders else None
        await reload(ls)

    @server.handler(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: LanternServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        if any(change.uri.rsplit("/", 1)[-1] in CONFIG_FILES for change in params.changes):
            await reload(ls)


async def _first_load(ls: LanternServer) -> None:
    try:
        await reload(ls, first=True)
    except Exception as exc:
        ls.report_handler_error(types.INITIALIZED, exc)


async def reload(ls: LanternServer, *, first: bool = False) -> None:
    """Rebuild the settings from every source and re-analyse what is open.

    The `first` load, when no source configures the analysis, waits (at most half a
    second) for the first documents' diagnostics, which do not need the settings model,
    to be answered before it builds the model: both hold the GIL, and the user is
    waiting for the diagnostics."""
    session = ls.session
    folders = list(session.workspace_folders)
    if _can_pull_configuration(ls):
        sections = await _client_sections(ls, folders)
    else:
        sections = [ls.pushed_settings] * (len(folders) + 1)
    base = [*user_layers(), lsp_layer("initializationOptions", session.initialization_options)]
    ls.config_sources = (base, [lsp_layer("workspace/configuration", s) for s in sections])
    ls.config_sources_known.set()
    root = session.workspace_root
    if first and _unconfigured_in(ls, root):
        from lantern.lsp.diagnostics import refresh_all

        if not session.pull_diagnostics:
            refresh_all(ls)  # documents already open: published with the defaults
        await ls.until_quiet(0.02, limit=0.5)
    try:
        if delay := os.environ.get("LANTERN_TEST_SETTINGS_DELAY"):  # test-only: a slow load
            await asyncio.sleep(float(delay))
        if "lantern.config" not in sys.modules:
            # Its first import builds pydantic and the settings model: 80+ ms that would
            # hold up the loop, and with it the first document's syntax errors.
            await asyncio.to_thread(importlib.import_module, "lantern.config")
        resolver = _Resolver(
            ls, base, {None: sections[0], **dict(zip(folders, sections[1:], strict=True))}
        )
        settings = resolver.for_path(session.workspace_root)
    finally:
        ls.settings_ready.set()  # even a failure must not leave pulls waiting forever
    logging.getLogger("lantern").setLevel(settings.log_level.upper())
    session.update_settings(settings, resolver)

    from lantern.lsp import review
    from lantern.lsp.diagnostics import refresh_all, warm_up

    # Again, now that the rule options and the model are known (a no-op for what the
    # first warm-up prepared already): the first open must not pay for other options.
    warm_up(ls)
    refresh_all(ls)
    review.settings_loaded(ls)


# The settings tables that change what the analysis of a document reports.
ANALYSIS_TABLES = ("diagnostics", "rules")


def unconfigured(ls: LanternServer, uri: str, tables: tuple[str, ...] = ANALYSIS_TABLES) -> bool:
    """Whether `uri`'s settings in `tables` are known to be the defaults before the
    settings are loaded: the client has answered about its configuration and no source
    (user file, project files, initializationOptions, any folder's client section) has
    one of those tables. Never builds the settings model."""
    path = _path(uri)
    return _unconfigured_in(ls, path.parent if path is not None else None, tables)


def _unconfigured_in(
    ls: LanternServer, directory: Path | None, tables: tuple[str, ...] = ANALYSIS_TABLES
) -> bool:
    if ls.config_sources is None:
        return False
    base, sections = ls.config_sources
    project = project_layers(directory) if directory is not None else []
    layers = [*base, *sections, *project]
    return not any(table in layer for layer in layers for table in tables)


class _Resolver:
    """uri -> Settings for one generation of settings; each (folder, project) loads once."""

    def __init__(self, ls: LanternServer, base: list[ConfigLayer], sections: dict[Any, Any]):
        self.ls = ls
        self.base = base  # the user file and initializationOptions
        self.sections = sections  # folder uri (None: no folder) -> its client section
        self.folders = [(uri, path) for uri in sections if uri and (path := _path(uri))]
        self.loaded: dict[tuple[str | None, Path | None], Settings] = {}

    def __call__(self, uri: str) -> Settings:
        path = _path(uri)
        if path is None:  # untitled and other non-file documents: the workspace's settings
            return self.for_path(self.ls.session.workspace_root)
        return self.for_path(path.parent, self._folder_of(path))

    def for_path(self, directory: Path | None, folder: str | None = None) -> Settings:
        from lantern.config import project_directory

        if directory is not None and folder is None:
            folder = self._folder_of(directory)
        project = project_directory(directory) if directory is not None else None
        key = (folder, project)
        if key not in self.loaded:
            self.loaded[key] = self._load(folder, project)
        return self.loaded[key]

    def _folder_of(self, path: Path) -> str | None:
        """The innermost workspace folder holding `path`, else the first folder."""
        holding = [(len(p.parts), uri) for uri, p in self.folders if path.is_relative_to(p)]
        if holding:
            return max(holding)[1]
        return self.folders[0][0] if self.folders else None

    def _load(self, folder: str | None, project: Path | None) -> Settings:
        from lantern.config import load_settings, lsp_layer, project_layers

        section = self.sections.get(folder, self.sections[None])
        layers = [
            *self.base,
            *(project_layers(project) if project is not None else []),
            lsp_layer("workspace/configuration", section),
        ]  # load_settings puts file layers below the environment and the LSP layers
        settings, warnings = load_settings(layers)
        # One message per load, naming only what the user has not been told yet.
        new = [w for w in dict.fromkeys(warnings) if f"config:{w}" not in self.ls.shown]
        for warning in new:
            log.warning("Configuration: %s", warning)
            self.ls.shown.add(f"config:{warning}")
        if new:
            message = "Lantern configuration: " + " ".join(new)
            self.ls.show_once(f"config:{message}", message)
        return settings


def _path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def _can_pull_configuration(ls: LanternServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def _client_sections(ls: LanternServer, folders: list[str]) -> list[Any]:
    """The `lantern` section: for the whole workspace, then for each folder (scopeUri)."""
    items = [types.ConfigurationItem(section=SECTION)]
    items += [types.ConfigurationItem(scope_uri=uri, section=SECTION) for uri in folders]
    try:
        answer = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as exc:  # a client that fails here must not cost us the session
        log.warning("workspace/configuration failed (%s); using the other sources", exc)
        answer = None
    if not isinstance(answer, (list, tuple)) or len(answer) != len(items):
        first = answer[0] if isinstance(answer, (list, tuple)) and answer else None
        return [first] * len(items)
    return list(answer)


def _watch_config_files(ls: LanternServer) -> None:
    """Ask the client to tell us when project configuration files change on disk."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
    registration = types.Registration(
        id="lantern-config-files",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    ls.client_register_capability(types.RegistrationParams(registrations=[registration]))
