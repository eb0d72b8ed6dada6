"""Neovim, headless, with the shipped 0.8-0.10 config (docs/editors/neovim/lantern-0.8.lua).

Debian 12's Neovim 0.7.2 lacks `vim.lsp.start`; nvim_compat_07.lua supplies it from
`start_client` + `buf_attach_client`, and the shipped config is otherwise loaded unchanged.
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


@pytest.fixture(scope="module")
def neovim(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One Neovim run over both samples; the tests below read what it saw."""
    nvim = require_editor("nvim")
    run = prepare_run(tmp_path_factory.mktemp("neovim"))
    return run_editor(
        [nvim, "--headless", "--clean", "-c", f"luafile {HERE / 'nvim_driver.lua'}"],
        run,
        {
            "LANTERN_NVIM_CONFIG": str(EDITORS_DOCS / "neovim" / "lantern-0.8.lua"),
            "LANTERN_NVIM_RTP": str(EDITORS_DOCS / "neovim"),
            "LANTERN_NVIM_COMPAT": str(HERE / "nvim_compat_07.lua"),
        },
    )


def test_neovim_attaches_lantern_to_python_buffers(neovim: dict) -> None:
    assert [name for name, entry in neovim["files"].items() if not entry["attached"]] == []


def test_neovim_shows_syntax_error_on_line_1(neovim: dict) -> None:
    name, _, line = SYNTAX_ERROR
    assert line in lines(neovim["files"][name]), neovim["files"][name]


def test_neovim_shows_none_comparison_on_line_2_with_a_code_action(neovim: dict) -> None:
    name, _, line = NONE_COMPARISON
    entry = neovim["files"][name]
    assert line in lines(entry), f"no Lantern diagnostic on line {line + 1}: {entry}"
    assert entry["code_action_provider"], "the server does not advertise codeActionProvider"
    assert entry["actions"], f"no code action offered on line {line + 1}: {entry}"


def test_neovim_config_is_accepted_without_warnings(neovim: dict) -> None:
    assert warnings(neovim["messages"]) == []


def test_neovim_config_defines_the_lantern_commands(neovim: dict) -> None:
    entry = neovim["files"][SYNTAX_ERROR[0]]
    expected = ["LanternGenerate", "LanternExplain", "LanternFix", "LanternStatus"]
    assert entry["commands"] == expected


def test_neovim_commands_send_the_documented_arguments(neovim: dict) -> None:
    """:LanternGenerate, :1,2LanternExplain and :LanternFix with the cursor on line 2."""
    uri = (neovim["project"] / NONE_COMPARISON[0]).as_uri()
    sent = {r["params"]["command"]: r["params"]["arguments"] for r in neovim["sent"]}
    assert {r["method"] for r in neovim["sent"]} == {"workspace/executeCommand"}
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
