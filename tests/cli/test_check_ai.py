"""`lantern check --ai` and `lantern history` against the loopback OpenAI-compatible server:
AI findings in every output format, the cache shared between runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())
SOURCE = "def load(path):\n    return risky(path)\n\n\ndef total(values):\n    return sum(values)\n"


def lantern(tmp_path: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LANTERN_CACHE_DIR": str(tmp_path / "cache"),
    }
    if url:
        env |= {"LANTERN_AI_BASE_URL": url, "LANTERN_AI_MODEL": "test-model"}
    return subprocess.run(
        [sys.executable, "-m", "lantern", *args],
        cwd=tmp_path / "project",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "app.py").write_text(SOURCE)
    return tmp_path


def test_ai_findings_in_text_json_and_sarif_and_the_cache_is_shared(project, model):
    text = lantern(project, "check", "--ai", ".", url=model.url)
    assert text.returncode == 1, text.stderr
    assert "app.py:2:5: warning unchecked-call" in text.stdout
    assert text.stdout.rstrip().endswith("[lantern-ai]")
    asked = len(model.generation_requests)
    assert asked == 1  # the two neighbouring functions share one request

    rows = json.loads(
        lantern(project, "check", "--ai", ".", "--format", "json", url=model.url).stdout
    )
    assert [(r["line"], r["code"], r["source"]) for r in rows] == [
        (2, "unchecked-call", "lantern-ai")
    ]
    sarif = json.loads(
        lantern(project, "check", "--ai", ".", "--format", "sarif", url=model.url).stdout
    )
    jsonschema.validate(sarif, SCHEMA)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "unchecked-call" and "ruleIndex" not in result
    assert result["properties"]["source"] == "lantern-ai"
    assert len(model.generation_requests) == asked  # the second and third runs hit the cache


def test_check_ai_without_a_model_says_how_to_set_one_up_and_still_checks(project):
    result = lantern(project, "check", "--ai", ".")
    assert result.returncode == 0
    assert "LANTERN_AI_BASE_URL" in result.stderr and "docs/ai.md" in result.stderr


def test_history_lists_shows_and_deletes(project):
    from lantern.assist.history import history_for
    from lantern.config import CacheSettings

    history = history_for(CacheSettings(dir=str(project / "cache")))
    entry = history.add(
        kind="tests", prompt="tests for load", model="m", provider="p", target="file:///x.py"
    )
    listed = lantern(project, "history", "list")
    assert entry.id in listed.stdout and "tests for load" in listed.stdout
    shown = json.loads(lantern(project, "history", "show", entry.id, "--json").stdout)
    assert shown["prompt"] == "tests for load"
    assert lantern(project, "history", "delete", entry.id).returncode == 0
    assert lantern(project, "history", "show", entry.id).returncode == 1
