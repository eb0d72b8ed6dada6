"""The configs users copy from docs/editors/ for editors this machine cannot run.

Helix, Zed, Sublime Text and Kate are parsed (TOML / JSON) and checked for what makes
them work: the `lantern serve` command, every language Lantern analyses, and settings the
server accepts without a warning (validated by the server's own configuration model).
The Neovim 0.11+ config is run with `vim.lsp.config`/`vim.lsp.enable` recorded, and the
Emacs config is byte-compiled; both are also run for real in test_real_editors.
The VS Code client's setting defaults are compared with the server's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from lantern.analysis.languages import LANGUAGES
from lantern.assist.generation import INSERT_KINDS
from lantern.config import Settings, load_settings, lsp_layer
from tests.editors.conftest import EDITORS_DOCS, REPO, require_editor

HERE = Path(__file__).parent
LANGUAGE_IDS = {language_id for spec in LANGUAGES for language_id in spec.language_ids}
SERVER_COMMANDS = {
    "lantern.generate",
    "lantern.explain",
    "lantern.fix",
    "lantern.fixAll",
    "lantern.analyzeFile",
    "lantern.analyzeWorkspace",
    "lantern.clearCache",
    "lantern.status",
    "lantern.history",
}
LANTERN_SERVE = ["lantern", "serve"]


def server_warnings(section: Any) -> list[str]:
    """What the server would warn about if sent `section` as its `lantern` settings."""
    _, warnings = load_settings([lsp_layer("workspace/configuration", section)], env={})
    return warnings


def read_jsonc(path: Path) -> Any:
    """JSON with // comments and trailing commas (Sublime's and Zed's settings format)."""
    text = path.read_text()
    # Drop // comments outside strings: match strings first so "http://..." survives.
    text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*', lambda m: m.group(1) or "", text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    return json.loads(text)


def test_languages_match_the_server() -> None:
    """The configs below are checked against this list; it must be the server's."""
    expected = ["go", "java", "javascript", "javascriptreact", "python", "rust", "typescript"]
    assert sorted(LANGUAGE_IDS) == [*expected, "typescriptreact"]


def test_server_commands_are_the_ones_the_docs_know() -> None:
    from lantern.lsp.server import create_server

    assert set(create_server().protocol.fm.commands) == SERVER_COMMANDS


# `lantern.<word>` in the editor docs and configs that is not a command: file names and the
# VS Code client's own settings.
NOT_COMMANDS = {"toml", "lua", "interpreter"}


def test_editor_docs_and_configs_name_only_commands_the_server_has() -> None:
    named = set()
    for path in [REPO / "docs" / "editors.md", *EDITORS_DOCS.rglob("*")]:
        if path.is_file() and path.suffix not in (".rs",):
            text = path.read_text()
            named |= set(re.findall(r"(?<![\w.])lantern\.([a-z]\w*)\b(?!\.)", text))
    assert {f"lantern.{name}" for name in named - NOT_COMMANDS} <= SERVER_COMMANDS


def test_server_validation_catches_a_bad_setting() -> None:
    """The checks below rely on this: a wrong key or value is reported, not accepted."""
    assert server_warnings({"diagnostics": {"runOn": "sometimes"}})
    assert server_warnings({"diagnostics": {"run_when": "type"}})
    assert server_warnings({"diagnostics": {"runOn": "save"}}) == []


# -- Helix -----------------------------------------------------------------------------

HELIX_LANGUAGES = {  # Helix language name -> the languageId Helix sends for it
    "python": "python",
    "javascript": "javascript",
    "jsx": "javascriptreact",
    "typescript": "typescript",
    "tsx": "typescriptreact",
    "go": "go",
    "rust": "rust",
    "java": "java",
}


@pytest.fixture(scope="module")
def helix() -> dict:
    return tomllib.loads((EDITORS_DOCS / "helix" / "languages.toml").read_text())


def test_helix_starts_lantern_serve(helix: dict) -> None:
    server = helix["language-server"]["lantern"]
    assert [server["command"], *server["args"]] == LANTERN_SERVE


def test_helix_enables_lantern_for_every_language(helix: dict) -> None:
    enabled = {lang["name"] for lang in helix["language"] if "lantern" in lang["language-servers"]}
    assert enabled == set(HELIX_LANGUAGES)
    assert set(HELIX_LANGUAGES.values()) == LANGUAGE_IDS


def test_helix_settings_are_accepted_by_the_server(helix: dict) -> None:
    config = helix["language-server"]["lantern"]["config"]
    assert set(config) == {"lantern"}, "workspace/configuration asks for the `lantern` section"
    assert server_warnings(config) == []


# -- Sublime Text ----------------------------------------------------------------------

SUBLIME_SCOPES = {
    f"source.{name}" for name in ("python", "js", "jsx", "ts", "tsx", "go", "rust", "java")
}
SUBLIME_VARIABLES = {"$file_uri", "$selection", "$position", "$range"}


@pytest.fixture(scope="module")
def sublime() -> dict:
    return read_jsonc(EDITORS_DOCS / "sublime" / "LSP.sublime-settings")["clients"]["lantern"]


def test_sublime_starts_lantern_serve_for_every_language(sublime: dict) -> None:
    assert sublime["enabled"] is True
    assert sublime["command"] == LANTERN_SERVE
    assert {scope.strip() for scope in sublime["selector"].split("|")} == SUBLIME_SCOPES


def test_sublime_settings_are_accepted_by_the_server(sublime: dict) -> None:
    assert set(sublime["settings"]) == {"lantern"}
    assert server_warnings(sublime["settings"]["lantern"]) == []


# The LSP package shows only "command completed" for a result, so the palette leaves out the
# commands whose answer is the point (status, history) and asks the server to apply edits and
# show explanations itself.
SUBLIME_RESULT_ONLY = {"lantern.status", "lantern.history"}
SUBLIME_OPTIONS = {"lantern.generate": {"apply": True}, "lantern.fix": {"apply": True}}
SUBLIME_OPTIONS["lantern.explain"] = {"show": True}


def test_sublime_palette_runs_lantern_commands_with_known_variables() -> None:
    entries = read_jsonc(EDITORS_DOCS / "sublime" / "Lantern.sublime-commands")
    names = set()
    for entry in entries:
        args = entry["args"]
        assert entry["command"] == "lsp_execute"
        assert args["session_name"] == "lantern", "must match the key under `clients`"
        assert args["command_name"] in SERVER_COMMANDS
        command_args = args.get("command_args", [])
        variables = {a for a in command_args if str(a).startswith("$")}
        assert variables <= SUBLIME_VARIABLES, entry["caption"]
        options = [a for a in command_args if isinstance(a, dict)]
        assert options == (
            [SUBLIME_OPTIONS[args["command_name"]]]
            if args["command_name"] in SUBLIME_OPTIONS
            else []
        ), entry["caption"]
        if args["command_name"] == "lantern.generate":
            # The LSP package cannot create files: only the kinds that insert in place.
            assert command_args[3] in INSERT_KINDS, entry["caption"]
        names.add(args["command_name"])
    assert names == SERVER_COMMANDS - SUBLIME_RESULT_ONLY
    fix_all = [e["caption"] for e in entries if e["args"]["command_name"] == "lantern.fixAll"]
    assert fix_all == ["Lantern: Fix All Safe Problems"], "one fix-all entry"


# -- Zed -------------------------------------------------------------------------------

ZED_LANGUAGES = {"Python", "JavaScript", "TypeScript", "TSX", "Go", "Rust", "Java"}


def test_zed_settings_enable_lantern_for_every_language() -> None:
    settings = read_jsonc(EDITORS_DOCS / "zed" / "settings.json")
    languages = {
        name
        for name, value in settings["languages"].items()
        if "lantern" in value["language_servers"]
    }
    assert languages == ZED_LANGUAGES
    binary = settings["lsp"]["lantern"]["binary"]
    assert [binary["path"], *binary["arguments"]] == LANTERN_SERVE
    # The extension serves these under the `lantern` section.
    assert server_warnings(settings["lsp"]["lantern"]["settings"]) == []


def test_zed_extension_declares_lantern_for_every_language() -> None:
    extension = tomllib.loads((EDITORS_DOCS / "zed" / "lantern" / "extension.toml").read_text())
    server = extension["language_servers"]["lantern"]
    assert set(server["languages"]) == ZED_LANGUAGES
    assert set(server["language_ids"]) == ZED_LANGUAGES
    # Zed's JavaScript covers .jsx; every other languageId is sent by name.
    assert set(server["language_ids"].values()) == LANGUAGE_IDS - {"javascriptreact"}
    cargo = tomllib.loads((EDITORS_DOCS / "zed" / "lantern" / "Cargo.toml").read_text())
    assert cargo["lib"]["crate-type"] == ["cdylib"]
    assert "zed_extension_api" in cargo["dependencies"]
    source = (EDITORS_DOCS / "zed" / "lantern" / "src" / "lib.rs").read_text()
    assert 'worktree.which("lantern")' in source and 'vec!["serve".to_string()]' in source


# -- Kate ------------------------------------------------------------------------------

KATE_MODES = {  # Kate highlighting mode -> the language it is
    "Python": "python",
    "JavaScript": "javascript",
    "JavaScript React (JSX)": "javascriptreact",
    "TypeScript": "typescript",
    "TypeScript React (TSX)": "typescriptreact",
    "Go": "go",
    "Rust": "rust",
    "Java": "java",
}


def test_kate_runs_lantern_serve_for_every_highlighting_mode() -> None:
    servers = json.loads((EDITORS_DOCS / "kate" / "settings.json").read_text())["servers"]
    covered = set()
    for entry in servers.values():
        base = servers[entry["use"]] if "use" in entry else entry
        assert base["command"] == LANTERN_SERVE
        assert server_warnings(base["settings"]["lantern"]) == []
        covered |= {mode for mode in KATE_MODES if re.search(entry["highlightingModeRegex"], mode)}
    assert {KATE_MODES[mode] for mode in covered} == LANGUAGE_IDS
    assert covered == set(KATE_MODES)


# -- Neovim 0.11+ and Emacs ------------------------------------------------------------


def test_neovim_011_config_registers_and_enables_lantern(tmp_path: Path) -> None:
    nvim = require_editor("nvim")
    out = tmp_path / "probe.json"
    subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {HERE / 'nvim_config_probe.lua'}"],
        env={
            **os.environ,
            "HOME": str(tmp_path),
            "LANTERN_NVIM_CONFIG": str(EDITORS_DOCS / "neovim" / "lantern.lua"),
            "LANTERN_TEST_OUT": str(out),
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=True,
    )
    probe = json.loads(out.read_text())
    assert probe["error"] is None
    assert probe["name"] == "lantern" and probe["enabled"] == ["lantern"]
    assert probe["cmd"] == LANTERN_SERVE
    assert set(probe["filetypes"]) == LANGUAGE_IDS
    assert "pyproject.toml" in probe["root_markers"] and ".git" in probe["root_markers"]
    assert probe["on_attach"] == "function"
    assert set(probe["settings"]) == {"lantern"}
    assert server_warnings(probe["settings"]["lantern"]) == []


def test_emacs_config_byte_compiles_without_warnings(tmp_path: Path) -> None:
    emacs = require_editor("emacs")
    source = tmp_path / "lantern-eglot.el"
    source.write_text((EDITORS_DOCS / "emacs" / "lantern-eglot.el").read_text())
    completed = subprocess.run(
        [
            emacs,
            "-Q",
            "--batch",
            "--eval",
            "(progn (require 'package)"
            ' (add-to-list \'package-directory-list "/usr/share/emacs/site-lisp/elpa")'
            " (package-initialize) (setq byte-compile-error-on-warn t)"
            f' (kill-emacs (if (byte-compile-file "{source}") 0 1)))',
        ],
        env={**os.environ, "HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "Cannot open load file" in completed.stderr and "eglot" in completed.stderr:
        pytest.skip("eglot is not installed (apt-get install -y elpa-eglot)")
    assert completed.returncode == 0, completed.stderr


# -- VS Code ---------------------------------------------------------------------------

CLIENT_ONLY = {"interpreter", "trace.server"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _server_default(path: list[str]) -> Any:
    node: Any = Settings()
    for part in path:
        fields = type(node).model_fields
        assert part in fields, f"the server has no setting {'.'.join(path)}"
        node = getattr(node, part)
    return node.model_dump() if hasattr(node, "model_dump") else node


def test_vscode_settings_exist_in_the_server_with_the_same_defaults() -> None:
    manifest = json.loads((REPO / "client-vscode" / "package.json").read_text())
    properties = manifest["contributes"]["configuration"]["properties"]
    checked = 0
    for key, schema in properties.items():
        name = key.removeprefix("lantern.")
        if name in CLIENT_ONLY:
            continue
        server_default = _server_default([_snake(part) for part in name.split(".")])
        client_default = schema["default"]
        # {} and "" mean "the server's default" (per-task tables, the cache directory).
        if client_default in ({}, "") and server_default not in ([], False, 0):
            continue
        assert client_default == server_default, key
        checked += 1
    assert checked >= 15
