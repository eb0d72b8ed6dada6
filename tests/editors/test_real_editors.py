"""The shipped configs in real editors, headless, against `lantern serve`.

- Neovim: Debian 12's 0.7.2 with the 0.7-0.10 config (docs/editors/neovim/lantern-0.7.lua),
  loaded unchanged: the config itself falls back to `start_client` + `buf_attach_client`
  where `vim.lsp.start` (0.8) is missing.
- Emacs: Debian 12's 28.2 with eglot 1.9 (elpa-eglot) and docs/editors/emacs/lantern-eglot.el.
  Under `emacs -Q` site-lisp is not loaded, so the driver adds Debian's elpa directory to
  `package-directory-list`. Lines are compared, not columns: eglot widens empty ranges.

Each editor runs once over both samples; every test reads what that run saw.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.editors.conftest import (
    EDITORS_DOCS,
    NONE_COMPARISON,
    SYNTAX_ERROR,
    lines,
    prepare_run,
    require_editor,
    run_editor,
    warnings,
)

HERE = Path(__file__).parent
DEBIAN_ELPA = Path("/usr/share/emacs/site-lisp/elpa")

# The user-facing commands each config defines, in the order the driver lists them.
COMMANDS = {
    "neovim": ["LanternFixAll", "LanternGenerate", "LanternExplain", "LanternFix", "LanternStatus"],
    "emacs": [
        "lantern-fix-all",
        "lantern-generate",
        "lantern-explain",
        "lantern-fix",
        "lantern-status",
    ],
}


def run_neovim(tmp: Path) -> dict:
    nvim = require_editor("nvim")
    return run_editor(
        [nvim, "--headless", "--clean", "-c", f"luafile {HERE / 'nvim_driver.lua'}"],
        prepare_run(tmp),
        {
            "LANTERN_NVIM_CONFIG": str(EDITORS_DOCS / "neovim" / "lantern-0.7.lua"),
            "LANTERN_NVIM_RTP": str(EDITORS_DOCS / "neovim"),
        },
    )


def run_emacs(tmp: Path) -> dict:
    emacs = require_editor("emacs")
    if not any(DEBIAN_ELPA.glob("eglot-*")):
        pytest.skip(f"eglot is not installed in {DEBIAN_ELPA} (apt-get install -y elpa-eglot)")
    return run_editor(
        [emacs, "-Q", "--batch", "-l", str(HERE / "emacs_driver.el")],
        prepare_run(tmp),
        {
            "LANTERN_EMACS_CONFIG": str(EDITORS_DOCS / "emacs" / "lantern-eglot.el"),
            "LANTERN_ELPA_DIR": str(DEBIAN_ELPA),
        },
    )


@pytest.fixture(scope="module", params=["neovim", "emacs"])
def editor(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One run of one editor over both samples, with its name."""
    run = {"neovim": run_neovim, "emacs": run_emacs}[request.param]
    return {"name": request.param, **run(tmp_path_factory.mktemp(request.param))}


def test_lantern_attaches_to_python_buffers(editor: dict) -> None:
    assert [name for name, entry in editor["files"].items() if not entry["attached"]] == []


def test_syntax_error_shows_on_line_1(editor: dict) -> None:
    name, _, line = SYNTAX_ERROR
    assert line in lines(editor["files"][name]), editor["files"][name]


def test_none_comparison_shows_on_line_2_with_a_code_action(editor: dict) -> None:
    name, _, line = NONE_COMPARISON
    entry = editor["files"][name]
    assert line in lines(entry), f"no Lantern diagnostic on line {line + 1}: {entry}"
    assert entry["code_action_provider"], "the server does not advertise codeActionProvider"
    assert entry["actions"], f"no code action offered on line {line + 1}: {entry}"


def test_config_is_accepted_without_warnings(editor: dict) -> None:
    assert warnings(editor["messages"]) == []


def test_config_defines_the_lantern_commands(editor: dict) -> None:
    assert editor["files"][SYNTAX_ERROR[0]]["commands"] == COMMANDS[editor["name"]]


def test_commands_send_the_documented_arguments(editor: dict) -> None:
    """Generate, explain (lines 1-2) and fix with the cursor on line 2."""
    uri = (editor["project"] / NONE_COMPARISON[0]).as_uri()
    sent = {r["params"]["command"]: r["params"]["arguments"] for r in editor["sent"]}
    assert {r["method"] for r in editor["sent"]} == {"workspace/executeCommand"}
    assert sent["lantern.generate"] == [
        uri,
        {"line": 1, "character": 4},
        "totals per month",
        "function",
    ]
    assert sent["lantern.explain"] == [
        uri,
        {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 17}},
    ]
    fix_uri, diagnostic = sent["lantern.fix"]
    assert fix_uri == uri
    assert diagnostic["source"] == "lantern" and diagnostic["range"]["start"]["line"] == 1
    assert diagnostic["message"] and diagnostic["code"]


def test_fix_all_is_a_named_command_that_applies_the_safe_fixes(editor: dict) -> None:
    if editor["name"] != "neovim":
        pytest.skip("driven in Neovim; Emacs defines lantern-fix-all (see the commands test)")
    assert "is None" in editor["files"][NONE_COMPARISON[0]]["fixed_all"]
