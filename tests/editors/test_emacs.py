"""Emacs, in batch mode, with the shipped Eglot config (docs/editors/emacs/lantern-eglot.el).

Debian 12 has Emacs 28.2 and eglot 1.9 (elpa-eglot). Under `emacs -Q`, site-lisp is not
loaded, so the driver adds Debian's elpa directory to `package-directory-list`; the
shipped config is loaded unchanged. Lines are compared, not columns: eglot widens
empty ranges.
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


@pytest.fixture(scope="module")
def emacs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One Emacs run over both samples; the tests below read what it saw."""
    emacs = require_editor("emacs")
    if not any(DEBIAN_ELPA.glob("eglot-*")):
        pytest.skip(f"eglot is not installed in {DEBIAN_ELPA} (apt-get install -y elpa-eglot)")
    run = prepare_run(tmp_path_factory.mktemp("emacs"))
    return run_editor(
        [emacs, "-Q", "--batch", "-l", str(HERE / "emacs_driver.el")],
        run,
        {
            "LANTERN_EMACS_CONFIG": str(EDITORS_DOCS / "emacs" / "lantern-eglot.el"),
            "LANTERN_ELPA_DIR": str(DEBIAN_ELPA),
        },
    )


def test_eglot_connects_lantern_for_python_buffers(emacs: dict) -> None:
    assert [name for name, entry in emacs["files"].items() if not entry["attached"]] == []


def test_eglot_shows_syntax_error_on_line_1(emacs: dict) -> None:
    name, _, line = SYNTAX_ERROR
    assert line in lines(emacs["files"][name]), emacs["files"][name]


def test_eglot_shows_none_comparison_on_line_2_with_a_code_action(emacs: dict) -> None:
    name, _, line = NONE_COMPARISON
    entry = emacs["files"][name]
    assert line in lines(entry), f"no Lantern diagnostic on line {line + 1}: {entry}"
    assert entry["code_action_provider"], "the server does not advertise codeActionProvider"
    assert entry["actions"], f"no code action offered on line {line + 1}: {entry}"


def test_eglot_config_is_accepted_without_warnings(emacs: dict) -> None:
    assert warnings(emacs["messages"]) == []


def test_eglot_config_defines_the_lantern_commands(emacs: dict) -> None:
    entry = emacs["files"][SYNTAX_ERROR[0]]
    expected = ["lantern-generate", "lantern-explain", "lantern-fix", "lantern-status"]
    assert entry["commands"] == expected


def test_eglot_commands_send_the_documented_arguments(emacs: dict) -> None:
    """lantern-generate, lantern-explain (lines 1-2) and lantern-fix with point on line 2."""
    uri = (emacs["project"] / NONE_COMPARISON[0]).as_uri()
    sent = {r["params"]["command"]: r["params"]["arguments"] for r in emacs["sent"]}
    assert {r["method"] for r in emacs["sent"]} == {"workspace/executeCommand"}
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
