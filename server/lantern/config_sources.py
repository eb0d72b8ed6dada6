"""Where configuration comes from: the user file, the project's files, the environment
and the LSP messages, each read into a `ConfigLayer` of raw values (lowest precedence
first). Validation and defaults live in `lantern.config`; this module never imports
pydantic, so finding out that nothing is configured costs no more than a few `stat`s
(`lantern check` on one file then never builds the settings model).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Defaults of the settings model that analysis uses, here so that code which must not
# build the model can use them too (lantern.config's fields take them from here).
DOCS_URL = "https://github.com/lantern-lsp/lantern/blob/main/docs/rules.md"
MAX_FILE_SIZE = 2_000_000  # bytes: diagnostics.max_file_size
TIME_BUDGET_MS = 3_000  # diagnostics.time_budget_ms
DEBOUNCE_MS = 100  # diagnostics.debounce_ms

# The environment variables `lantern.config.load_settings` reads (LANTERN_AI_API_KEY
# only together with the first two).
SETTINGS_ENVIRONMENT = (
    "LANTERN_AI_BASE_URL",
    "LANTERN_AI_MODEL",
    "LANTERN_CACHE_DIR",
    "LANTERN_CACHE_URL",
)


class ConfigLayer(dict[str, Any]):
    """A partial configuration and where it came from (for messages).

    `problem` says why a source that exists gave nothing (a TOML syntax error with its
    line, an unreadable file, a `LANTERN_CONFIG` naming no file); loading reports it.
    """

    def __init__(self, origin: str, values: Mapping[str, Any], problem: str | None = None) -> None:
        super().__init__(values)
        self.origin = origin
        self.problem = problem


def file_layers(workspace: Path | None, env: Mapping[str, str] | None = None) -> list[ConfigLayer]:
    """The user file and the project files for `workspace`, lowest precedence first."""
    layers = user_layers(env)
    if workspace is not None:
        layers += project_layers(workspace)
    return layers


def user_layers(env: Mapping[str, str] | None = None) -> list[ConfigLayer]:
    """`$LANTERN_CONFIG`, else `$XDG_CONFIG_HOME/lantern/config.toml` (if it exists).

    A `LANTERN_CONFIG` naming a file that does not exist is reported, not ignored.
    """
    env = os.environ if env is None else env
    if explicit := env.get("LANTERN_CONFIG"):
        path = Path(explicit).expanduser()
        if not path.is_file():
            problem = f"LANTERN_CONFIG names {path}, which is not a file; it is ignored."
            return [ConfigLayer("LANTERN_CONFIG", {}, problem)]
        return _toml_layer(path, "LANTERN_CONFIG")
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return _toml_layer(Path(config_home) / "lantern" / "config.toml", "user config")


def project_directory(path: Path) -> Path | None:
    """The nearest folder at or above `path` holding a `lantern.toml`, or a
    `pyproject.toml` with a `[tool.lantern]` table (as ruff finds its configuration)."""
    path = path.absolute()
    for directory in (path, *path.parents):
        if (directory / "lantern.toml").is_file():
            return directory
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_lantern_table(pyproject):
            return directory
    return None


def _has_lantern_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # A cheap look first; a file that mentions the table is parsed (and its errors reported).
    return re.search(r"^\s*\[\s*tool\s*\.\s*lantern\b", text, re.MULTILINE) is not None


def project_layers(path: Path) -> list[ConfigLayer]:
    """`pyproject.toml` `[tool.lantern]` then `lantern.toml` of `path`'s project folder."""
    directory = project_directory(path)
    if directory is None:
        return []
    return [
        *_toml_layer(directory / "pyproject.toml", "pyproject.toml", ("tool", "lantern")),
        *_toml_layer(directory / "lantern.toml", "lantern.toml"),
    ]


def _toml_layer(path: Path, origin: str, table: tuple[str, ...] = ()) -> list[ConfigLayer]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return [ConfigLayer(origin, {}, f"{path}: cannot be read ({reason}); it is ignored.")]
    import tomllib  # 10 ms of imports: only once a file exists

    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        return [ConfigLayer(origin, {}, f"{path}: invalid TOML: {exc}; its settings are ignored.")]
    for key in table:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    return [ConfigLayer(f"{origin} ({path})", data if isinstance(data, dict) else {})]


def lsp_layer(origin: str, value: Any) -> ConfigLayer:
    """`initializationOptions` or a `workspace/configuration` answer as a layer.

    Accepts the settings themselves or wrapped as {"lantern": {...}}; anything that is
    not an object (VS Code sends null for an unset section) counts as empty.
    """
    if isinstance(value, dict) and set(value) == {"lantern"}:
        value = value["lantern"]
    return ConfigLayer(f"lsp {origin}", value if isinstance(value, dict) else {})


def env_layers(env: Mapping[str, str]) -> list[ConfigLayer]:
    cache: dict[str, Any] = {}
    if cache_dir := env.get("LANTERN_CACHE_DIR"):
        cache["dir"] = cache_dir
    if cache_url := env.get("LANTERN_CACHE_URL"):
        cache.update(backend="redis", url=cache_url)
    return [ConfigLayer("environment", {"cache": cache})] if cache else []


def configured(layers: list[ConfigLayer], env: Mapping[str, str] | None = None) -> bool:
    """Whether `layers` and `env` give `load_settings` anything to read: a value, a
    problem to report or a settings variable. When not, it returns the model's defaults
    and no warning (tests/unit/test_config.py proves it)."""
    env = os.environ if env is None else env
    return any(layer or layer.problem for layer in layers) or any(
        env.get(name) for name in SETTINGS_ENVIRONMENT
    )
