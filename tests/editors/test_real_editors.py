"""The shipped configs in real editors, headless, against `lantern serve` and a loopback model.

- Neovim: Debian 12's 0.7.2 with the 0.7-0.10 config (docs/editors/neovim/lantern-0.7.lua),
  loaded unchanged: the config itself falls back to `start_client` + `buf_attach_client`
  where `vim.lsp.start` (0.8) is missing.
- Emacs: Debian 12's 28.2 with eglot 1.9 (elpa-eglot) and docs/editors/emacs/lantern-eglot.el.
  Under `emacs -Q` site-lisp is not loaded, so the driver adds Debian's elpa directory to
  `package-directory-list`. Lines are compared, not columns: eglot widens empty ranges.

The server's only AI provider is a loopback OpenAI-compatible server answering like a code
model (tests/support/code_model.py), given through `LANTERN_AI_*` as a user would. Each editor
runs once: it opens the samples, then runs the config's fix-all, explain, fix (twice: the
second answer is an error) and generate commands as a user would; every test reads what that
run left in the editor (buffer text, the explanation shown, the messages) and what reached
the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantern.assist.generation import KINDS
from tests.editors.conftest import (
    EDITORS_DOCS,
    MODEL,
    NONE_COMPARISON,
    RISKY_CALL,
    SYNTAX_ERROR,
    lines,
    prepare_run,
    require_editor,
    run_editor,
    warnings,
)
from tests.support.code_model import answer, task_of
from tests.support.openai_server import OpenAIServer

HERE = Path(__file__).parent
DEBIAN_ELPA = Path("/usr/share/emacs/site-lisp/elpa")

# The user-facing commands each config defines, in the order the driver lists them.
COMMANDS = {
    "neovim": ["LanternGenerate", "LanternExplain", "LanternFix", "LanternFixAll", "LanternStatus"],
    "emacs": [
        "lantern-generate",
        "lantern-explain",
        "lantern-fix",
        "lantern-fix-all",
        "lantern-status",
    ],
}
# How each editor tags a warning it shows: vim.log.levels.WARN; Emacs signals a user-error.
WARNING_LEVEL = {"neovim": 3, "emacs": "user-error"}


def run_neovim(tmp: Path, model_url: str) -> dict:
    nvim = require_editor("nvim")
    return run_editor(
        [nvim, "--headless", "--clean", "-c", f"luafile {HERE / 'nvim_driver.lua'}"],
        prepare_run(tmp, model_url),
        {
            "LANTERN_NVIM_CONFIG": str(EDITORS_DOCS / "neovim" / "lantern-0.7.lua"),
            "LANTERN_NVIM_RTP": str(EDITORS_DOCS / "neovim"),
        },
    )


def run_emacs(tmp: Path, model_url: str) -> dict:
    emacs = require_editor("emacs")
    if not any(DEBIAN_ELPA.glob("eglot-*")):
        pytest.skip(f"eglot is not installed in {DEBIAN_ELPA} (apt-get install -y elpa-eglot)")
    return run_editor(
        [emacs, "-Q", "--batch", "-l", str(HERE / "emacs_driver.el")],
        prepare_run(tmp, model_url),
        {
            "LANTERN_EMACS_CONFIG": str(EDITORS_DOCS / "emacs" / "lantern-eglot.el"),
            "LANTERN_ELPA_DIR": str(DEBIAN_ELPA),
        },
    )


@pytest.fixture(scope="module", params=["neovim", "emacs"])
def editor(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict]:
    """One run of one editor over the samples, with its name and the model's requests."""
    run = {"neovim": run_neovim, "emacs": run_emacs}[request.param]
    model = OpenAIServer(models=(MODEL,))
    model.responder = answer
    with model:
        seen = run(tmp_path_factory.mktemp(request.param), model.url)
        requests = model.generation_requests
        yield {
            "name": request.param,
            "model_tasks": [task_of(r) for r in requests],
            "model_prompts": {task_of(r): r.prompt_text for r in requests},
            **seen,
        }


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


def test_ai_review_finding_shows_on_the_risky_call_with_ai_actions(editor: dict) -> None:
    name, _, line = RISKY_CALL
    entry = editor["files"][name]
    assert line in lines(entry, "lantern-ai"), entry
    assert any(title.startswith("Fix with AI") for title in entry["actions"]), entry["actions"]
    assert any(title.startswith("Explain with AI") for title in entry["actions"]), entry["actions"]


def test_config_is_accepted_without_warnings(editor: dict) -> None:
    assert warnings(editor["messages"]) == []


def test_config_defines_the_lantern_commands(editor: dict) -> None:
    assert editor["files"][SYNTAX_ERROR[0]]["commands"] == COMMANDS[editor["name"]]


def test_fix_all_applies_the_safe_static_fix_and_says_so(editor: dict) -> None:
    fix_all = editor["session"]["fix_all"]
    assert fix_all["text"].splitlines()[1] == "    if x is None:", fix_all
    assert "== None" not in fix_all["text"]
    assert fix_all["notification"]["message"] == "Lantern: Applied every safe fix."


def test_explain_shows_the_models_markdown(editor: dict) -> None:
    explanation = editor["session"]["explain"]
    assert "This code (lines 1-3) computes a result." in explanation, explanation
    assert "explain" in editor["model_tasks"]


def test_fix_rewrites_the_buffer_with_the_models_fix(editor: dict) -> None:
    fix = editor["session"]["fix"]
    assert fix["text"].splitlines()[:3] == [
        "def load(path):",
        "    data = checked(path)",
        "    return data",
    ], fix
    assert fix["notification"]["message"].startswith("Lantern: Fix for lines"), fix
    assert "fix" in editor["model_tasks"]


def test_an_error_answer_is_shown_as_a_message_not_applied(editor: dict) -> None:
    """A second fix finds nothing to change: the server answers {"error": ...}."""
    again = editor["session"]["fix_again"]
    notification = again["notification"]
    assert notification["message"] == (
        "Lantern AI: the fix was dropped: the model proposed no change."
    ), again
    assert notification["level"] == WARNING_LEVEL[editor["name"]]
    assert again["text"] == editor["session"]["fix"]["text"]


def test_generate_offers_every_kind_and_inserts_the_function(editor: dict) -> None:
    session = editor["session"]
    assert session["kinds"] == list(KINDS)
    assert "totals per month" in editor["model_prompts"]["generate"]
    # code_model answers `def <words of the request>(): return 42`; it goes beside `load`.
    text = session["generate"]["text"]
    assert re.search(r"\n    return data\ndef \w+\(\):\n    return 42\n\nVERSION = 1", text), text


def test_generate_tests_opens_a_new_test_file(editor: dict) -> None:
    """A file kind: the new file is created (by the editor's edit, or by the config when
    the editor cannot create files) inside the project, and opened."""
    created = editor["session"]["generate_tests"]
    assert len(created) == 1, created
    path = Path(created[0]["path"])
    assert path.is_relative_to(editor["project"]) and path.name.startswith("test_"), path
    assert "def test_generated():" in created[0]["text"]


def test_commands_send_the_documented_arguments(editor: dict) -> None:
    """Fix all, explain (lines 1-3), fix on line 2's AI finding, generate on line 4."""
    project = editor["project"]
    uri, fix_all_uri = (project / RISKY_CALL[0]).as_uri(), (project / NONE_COMPARISON[0]).as_uri()
    sent = [(r["params"]["command"], r["params"]["arguments"]) for r in editor["session"]["sent"]]
    assert [command for command, _ in sent] == [
        "lantern.fixAll",
        "lantern.explain",
        "lantern.fix",
        "lantern.fix",
        "lantern.generate",
        "lantern.generate",
    ]
    arguments = dict(sent[:-1])
    assert arguments["lantern.fixAll"] == [fix_all_uri]
    assert arguments["lantern.explain"] == [
        uri,
        {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 15}},
    ]
    fix_uri, diagnostic = sent[2][1]
    assert fix_uri == uri
    assert diagnostic["source"] == "lantern-ai" and diagnostic["range"]["start"]["line"] == 1
    assert diagnostic["message"] and diagnostic["code"] == "unchecked-call"
    assert arguments["lantern.generate"] == [
        uri,
        {"line": 3, "character": 0},
        "totals per month",
        "function",
    ]


def test_status_notifications_reach_the_statusline(editor: dict) -> None:
    """While the model works the statusline says so; once idle it is empty again."""
    working = [s for s in editor["statuses"] if s["state"] == "analysing"]
    assert working, editor["statuses"]
    assert all(s["statusline"].startswith("Lantern: ") for s in working), working
    assert editor["final_statusline"] == ""
