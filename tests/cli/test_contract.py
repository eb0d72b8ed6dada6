"""`lantern check`'s contract with CI: columns, SARIF that consumers accept, exit statuses,
what is checked, and the configuration each file gets (items 9 to 13 of issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())
EVAL_PY = "def run(expr):\n    return eval(expr)\n"
BOM = b"\xef\xbb\xbf"


def check(*args: str, cwd: Path, env: dict[str, str] | None = None, stdout: Any = None):
    environment = {"PATH": os.environ.get("PATH", ""), "XDG_CONFIG_HOME": str(cwd / ".no-xdg")}
    return subprocess.run(
        [sys.executable, "-m", "lantern", "check", *args],
        cwd=cwd,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env={**environment, **(env or {})},
    )


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


# -- 9: a byte-order mark is not a column -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "column", "end"),
    [
        ("a.py", "x = eval(input())\n", 5, 18),
        ("a.js", "const x = eval(location.hash);\n", 11, 30),
        ("b.py", "def f(:\n    pass\n", 7, 7),  # a zero-width "missing )"
    ],
)
def test_a_byte_order_mark_does_not_shift_line_1(tmp_path: Path, name, text, column, end):
    write(tmp_path / "bom" / name, BOM + text.encode())
    write(tmp_path / "plain" / name, text)
    for folder in ("bom", "plain"):
        rows = json.loads(check(f"{folder}/{name}", "--format", "json", cwd=tmp_path).stdout)
        assert (rows[0]["line"], rows[0]["column"], rows[0]["end_column"]) == (1, column, end)
        text_out = check(f"{folder}/{name}", cwd=tmp_path).stdout
        assert text_out.startswith(f"{folder}/{name}:1:{column}: ")
        sarif = json.loads(check(f"{folder}/{name}", "--format", "sarif", cwd=tmp_path).stdout)
        region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
        assert (region["startColumn"], region["endColumn"]) == (column, end)


# -- 10: SARIF that consumers accept -------------------------------------------------------

ODD_NAMES = ["my dir/a b#1%.py", "100%/x.py", "q?/y.py", "über/ß.py", "brackets[1]/z.py"]


def artifact_locations(log: dict[str, Any]) -> list[dict[str, str]]:
    return [
        location["physicalLocation"]["artifactLocation"]
        for run in log["runs"]
        for result in run["results"]
        for location in result["locations"]
    ]


def github_upload_problems(log: dict[str, Any]) -> list[str]:
    """GitHub code scanning's documented SARIF requirements and hard limits ("SARIF
    support for code scanning"; "About code scanning limits on SARIF results")."""
    problems = []
    if log.get("version") != "2.1.0" or "$schema" not in log:
        problems.append("version 2.1.0 and $schema are required")
    runs = log.get("runs", [])
    if not 1 <= len(runs) <= 20:
        problems.append("1 to 20 runs per file")
    for run in runs:
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            problems.append("tool.driver.name is required")
        rules = driver.get("rules", [])
        if len(run["results"]) > 25_000 or len(rules) > 25_000:
            problems.append("at most 25,000 results and rules per run")
        for rule in rules:
            tags = rule.get("properties", {}).get("tags", [])
            if len(tags) > 20:
                problems.append(f"{rule['id']}: at most 20 tags")
            severity = rule.get("properties", {}).get("security-severity", "0")
            if not isinstance(severity, str) or not 0.0 <= float(severity) <= 10.0:
                problems.append(f"{rule['id']}: security-severity is a number 0.0-10.0")
        for result in run["results"]:
            if not result.get("ruleId") or not result.get("message", {}).get("text"):
                problems.append("each result needs ruleId and message.text")
            if not 1 <= len(result.get("locations", [])) <= 1000:
                problems.append("each result needs 1 to 1,000 locations")
            for location in result["locations"]:
                physical = location["physicalLocation"]
                if physical["region"]["startLine"] < 1 or not physical["artifactLocation"]["uri"]:
                    problems.append("a location needs a uri and a startLine >= 1")
    return problems


def valid_sarif(log: dict[str, Any]) -> None:
    jsonschema.validate(log, SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert github_upload_problems(log) == []
    for location in artifact_locations(log):
        uri = location["uri"]
        if "uriBaseId" in location:
            assert not urlsplit(uri).scheme and not uri.startswith("/")  # SARIF §3.4.4
        else:
            assert urlsplit(uri).scheme == "file"
        assert not urlsplit(uri).query and not urlsplit(uri).fragment


def test_sarif_uris_are_percent_encoded_and_relative_under_the_source_root(tmp_path: Path):
    repo = tmp_path / "repo"
    for name in ODD_NAMES:
        write(repo / name, EVAL_PY)
    result = check(".", "--format", "sarif", cwd=repo)
    log = json.loads(result.stdout)
    valid_sarif(log)
    locations = artifact_locations(log)
    assert {unquote(loc["uri"]) for loc in locations} == set(ODD_NAMES)
    assert all(loc["uriBaseId"] == "%SRCROOT%" for loc in locations)
    assert {"uri": "my%20dir/a%20b%231%25.py", "uriBaseId": "%SRCROOT%"} in locations
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == repo.resolve().as_uri() + "/"


def test_sarif_uris_outside_the_source_root_are_absolute_without_a_base(tmp_path: Path):
    repo = tmp_path / "repo"
    write(repo / "my dir" / "a b#1%.py", EVAL_PY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = json.loads(check("../repo/my dir", "--format", "sarif", cwd=elsewhere).stdout)
    valid_sarif(log)
    (location,) = artifact_locations(log)
    assert location == {"uri": (repo / "my dir" / "a b#1%.py").as_uri()}
    assert "%20" in location["uri"] and "%23" in location["uri"] and "%25" in location["uri"]


# -- 11: exit status is a contract ----------------------------------------------------------


def test_an_output_path_in_a_missing_folder_is_status_2(tmp_path: Path):
    write(tmp_path / "clean.py", "x = 1\n")
    result = check(
        "clean.py", "--format", "sarif", "-o", "/nonexistent/dir/out.sarif", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.startswith("lantern check: cannot write /nonexistent/dir/out.sarif: ")
    assert "Traceback" not in result.stderr


def test_a_closed_pipe_is_not_an_error(tmp_path: Path):
    for number in range(300):
        write(tmp_path / f"m{number}.py", EVAL_PY)
    head = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    result = check(".", "--jobs", "1", cwd=tmp_path, stdout=head.stdin)
    head.stdin.close()
    head.wait()
    assert "Traceback" not in result.stderr and "Broken pipe" not in result.stderr
    assert result.returncode == 1  # the findings still decide the status


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[rules\n", "invalid TOML"),
        ("ai = {\n", "line 1"),
    ],
)
def test_a_broken_config_file_is_status_2(tmp_path: Path, config: str, message: str):
    write(tmp_path / "lantern.toml", config)
    write(tmp_path / "a.py", EVAL_PY)
    result = check("a.py", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "lantern check: configuration error: " in result.stderr and message in result.stderr
    assert str(tmp_path / "lantern.toml") in result.stderr


def test_lantern_config_naming_no_file_is_status_2(tmp_path: Path):
    write(tmp_path / "a.py", "x = 1\n")
    result = check("a.py", cwd=tmp_path, env={"LANTERN_CONFIG": str(tmp_path / "missing.toml")})
    assert result.returncode == 2 and "missing.toml" in result.stderr


def test_a_value_of_the_wrong_shape_is_a_warning_and_the_findings_decide(tmp_path: Path):
    """Case 02: `ai = false` is reported by name; the run goes on."""
    write(tmp_path / "lantern.toml", "ai = false\n")
    write(tmp_path / "a.py", EVAL_PY)
    result = check("a.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout.startswith("a.py:2:12: warning LS101 ")
    assert "Invalid setting `ai` = False" in result.stderr and "Traceback" not in result.stderr


def test_an_internal_error_is_status_2_without_a_traceback(tmp_path: Path):
    write(tmp_path / "a.py", "x = 1\n")
    # A cache folder that is a file makes --ai's cache fail: any internal error will do.
    env = {"PYTHONPATH": str(tmp_path / "inject")}
    write(
        tmp_path / "inject" / "sitecustomize.py",
        "import lantern.analysis.files as f\n"
        "def boom(*a, **k):\n    raise RuntimeError('injected')\n"
        "f.check_file = boom\n",
    )
    result = check("a.py", "--jobs", "1", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "internal error: RuntimeError: injected" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_symlink_loop_does_not_stop_the_run(tmp_path: Path):
    """Case 10."""
    write(tmp_path / "src" / "ok.py", "x = 1\n")
    (tmp_path / "src" / "loop.py").symlink_to("loop.py")
    (tmp_path / "src" / "sub").mkdir()
    (tmp_path / "src" / "sub" / "up").symlink_to("..")
    result = check("src", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "No problems in 1 file checked; 1 file not checked (1 unreadable)." in result.stderr


# -- 12: what is checked is visible ---------------------------------------------------------


def test_build_folders_are_checked_and_default_excludes_are_named(tmp_path: Path):
    """Case 11."""
    write(tmp_path / "pkg" / "build" / "steps.py", EVAL_PY)
    write(tmp_path / "pkg" / "other.py", EVAL_PY)
    write(tmp_path / "web" / "node_modules" / "lib" / "x.js", "eval(a);\n")
    write(tmp_path / "web" / "dist" / "bundle.js", "eval(a);\n")
    result = check(".", "--format", "json", cwd=tmp_path)
    assert {row["path"] for row in json.loads(result.stdout)} == {
        "pkg/build/steps.py",
        "pkg/other.py",
    }
    assert (
        "2 folders skipped by the default excludes (web/dist/, web/node_modules/); "
        "`--no-default-excludes` checks them." in result.stderr
    )
    everything = check(".", "--format", "json", "--no-default-excludes", cwd=tmp_path)
    assert len(json.loads(everything.stdout)) == 4
    assert "default excludes" not in everything.stderr
    named = check("web/dist/bundle.js", "--format", "json", cwd=tmp_path)
    assert [row["code"] for row in json.loads(named.stdout)] == ["LS101"]


@pytest.mark.parametrize(
    ("shebang", "body", "code"),
    [
        ("#!/usr/bin/env python3", "import sys\neval(sys.argv[1])\n", "LS101"),
        ("#!/usr/bin/python3.12", "import sys\neval(sys.argv[1])\n", "LS101"),
        ("#!/usr/bin/env node", "eval(process.argv[2]);\n", "LS101"),
        ("#!/usr/bin/env -S node --no-warnings", "eval(process.argv[2]);\n", "LS101"),
    ],
)
def test_an_extensionless_script_named_explicitly_is_checked_by_its_shebang(
    tmp_path: Path, shebang: str, body: str, code: str
):
    """Case 17."""
    write(tmp_path / "tool", f"{shebang}\n{body}")
    result = check("tool", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    line = 2 + next(i for i, text in enumerate(body.splitlines()) if "eval" in text)
    assert [(row["code"], row["line"]) for row in json.loads(result.stdout)] == [(code, line)]


def test_a_shell_script_is_still_skipped(tmp_path: Path):
    write(tmp_path / "tool", '#!/bin/sh\neval "$1"\n')
    result = check("tool", cwd=tmp_path)
    assert result.returncode == 0 and "not a supported language" in result.stderr


def test_each_file_gets_its_nearest_config_from_any_starting_folder(tmp_path: Path):
    write(tmp_path / "lantern.toml", '[rules]\nignore = ["LS101"]\n')
    write(tmp_path / "a" / "x.py", EVAL_PY)
    write(tmp_path / "b" / "pyproject.toml", "[tool.lantern.rules]\nignore = []\n")
    write(tmp_path / "b" / "deep" / "y.py", EVAL_PY)
    for cwd, paths in ((tmp_path, ["a", "b"]), (tmp_path / "b", ["../a", "deep"])):
        rows = json.loads(check(*paths, "--format", "json", cwd=cwd).stdout)
        assert [Path(row["path"]).name for row in rows] == ["y.py"], cwd


# -- 13: small things ----------------------------------------------------------------------


def test_counts_are_singular_and_plural(tmp_path: Path):
    write(tmp_path / "one.py", EVAL_PY)
    assert (
        "Found 1 problem (1 warning) in 1 of 1 file; 1 has a quick fix in the editor."
        in check("one.py", cwd=tmp_path).stderr
    )
    write(tmp_path / "clean.py", "x = 1\n")
    assert "All clear: 1 file checked." in check("clean.py", cwd=tmp_path).stderr


def test_cache_stats_exits_1_and_says_why_when_the_cache_is_unusable(tmp_path: Path):
    blocker = write(tmp_path / "not-a-folder", "x")
    result = subprocess.run(
        [sys.executable, "-m", "lantern", "cache", "stats"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "XDG_CONFIG_HOME": str(tmp_path), "LANTERN_CACHE_DIR": str(blocker)},
    )
    assert result.returncode == 1
    assert "unusable (NotADirectoryError" in result.stdout


def test_config_reference_names_no_pydantic_internals(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "lantern", "config", "reference"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "| required |" in result.stdout
    assert "Undefined" not in result.stdout
