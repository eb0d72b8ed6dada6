"""Precision on real code: `lantern check` with default settings on pinned popular projects.

Run on demand (never from the test suite; it downloads packages):

    python benchmarks/bench_realcode.py [--only django,lodash] [--no-peers] [--unjudged]
                                        [--preview]

Each project is fetched once through the package registries the project already uses
(`pip download` for Python wheels, `npm pack` for JavaScript, `apt-get download` for the
Go standard library's source package) into a cache outside the repository
(`$LANTERN_REALCODE_CACHE`, default `~/.cache/lantern-realcode`), unpacked, and checked
with `lantern check --format json` from a neutral folder, so no project configuration
applies (`--preview` also runs the preview rules, to see whether one has earned a
place among the defaults). The script prints, per project: files, lines, findings,
findings per 1,000 lines, wall time, and the counts of bandit and ruff (default rules)
on the Python trees (installed on demand into a separate virtualenv in the cache, never
into the project).
Per rule it prints findings, errors, how many the team judged, and how many were judged
TRUE / FALSE / DEBATABLE, with precision = TRUE / (TRUE + FALSE).

The team's judgements live in `realcode_judgements.json` beside this script, keyed by
`project:path:code:hash of the stripped line` (with `#2`, `#3`... for later findings on
identical lines of the same file), so they survive version bumps where the line is
unchanged. Findings without a judgement are counted as unjudged and listed with
`--unjudged` (with their keys, ready to paste). The targets (issue 9): FALSE at most 5 %
of all findings and 0 % of errors, at most 1 finding per 1,000 lines over all trees.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
JUDGEMENTS = HERE / "realcode_judgements.json"
CACHE = Path(os.environ.get("LANTERN_REALCODE_CACHE", Path.home() / ".cache/lantern-realcode"))
GO_VERSION = "1.19"


@dataclass(frozen=True)
class Project:
    name: str
    registry: str  # "pypi" | "npm" | "deb"
    spec: str  # what the registry's client is asked for
    subpaths: tuple[str, ...] = ()  # inside the unpacked tree; empty = all of it
    python: bool = False


# fmt: off
PROJECTS: tuple[Project, ...] = (
    Project("django", "pypi", "django==5.1.4", ("django",), python=True),
    Project("flask", "pypi", "flask==3.1.0", ("flask",), python=True),
    Project("requests", "pypi", "requests==2.32.3", ("requests",), python=True),
    Project("sqlalchemy", "pypi", "sqlalchemy==2.0.36", ("sqlalchemy",), python=True),
    Project("click", "pypi", "click==8.1.7", ("click",), python=True),
    Project("jinja2", "pypi", "jinja2==3.1.4", ("jinja2",), python=True),
    Project("werkzeug", "pypi", "werkzeug==3.1.3", ("werkzeug",), python=True),
    Project("lodash", "npm", "lodash@4.17.21", ("package",)),
    Project("express", "npm", "express@4.21.2", ("package",)),
    Project("axios", "npm", "axios@1.7.9", ("package/lib",)),
    Project("moment", "npm", "moment@2.30.1", ("package/src",)),
    Project("commander", "npm", "commander@12.1.0", ("package/lib",)),
    Project("go-stdlib", "deb", f"golang-{GO_VERSION}-src", tuple(
        f"usr/share/go-{GO_VERSION}/src/{folder}"
        for folder in ("net/http", "encoding", "bufio", "bytes", "strings", "os", "io",
                       "crypto/tls", "database/sql", "text/template")
    )),
)
# fmt: on


# -- fetching -------------------------------------------------------------------------------


def fetch(project: Project) -> Path:
    """The unpacked tree of `project`, downloading it on first use."""
    tree = CACHE / "trees" / project.spec.replace("/", "_")
    if (tree / ".complete").exists():
        return tree
    downloads = CACHE / "downloads" / project.name
    shutil.rmtree(downloads, ignore_errors=True)
    downloads.mkdir(parents=True)
    if project.registry == "pypi":
        _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary",
              ":all:", "-d", str(downloads), project.spec])  # fmt: skip
    elif project.registry == "npm":
        _run(["npm", "pack", "--silent", project.spec], cwd=downloads)
    else:
        _run(["apt-get", "download", project.spec], cwd=downloads)
    archive = next(downloads.iterdir())
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            wheel.extractall(tree)
    elif archive.suffix == ".tgz":
        with tarfile.open(archive) as packed:
            packed.extractall(tree, filter="data")
    else:
        _run(["dpkg-deb", "-x", str(archive), str(tree)])
    (tree / ".complete").write_text(project.spec)
    return tree


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)


def peer_tools() -> dict[str, Path]:
    """bandit and ruff in their own virtualenv in the cache, installed on first use."""
    venv = CACHE / "peers-venv"
    bin_dir = venv / "bin"
    if not (bin_dir / "bandit").exists() or not (bin_dir / "ruff").exists():
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "bandit", "ruff"])
    return {"bandit": bin_dir / "bandit", "ruff": bin_dir / "ruff"}


# -- running --------------------------------------------------------------------------------


@dataclass
class Result:
    project: Project
    files: int = 0
    lines: int = 0
    seconds: float = 0.0
    findings: list[dict[str, object]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    peers: dict[str, int | None] = field(default_factory=dict)


def check(
    project: Project, tree: Path, peers: dict[str, Path] | None, preview: bool = False
) -> Result:
    from lantern.analysis.files import Ignores, discover
    from lantern.analysis.generated import category, skip_reason

    roots = [tree / sub for sub in project.subpaths] if project.subpaths else [tree]
    result = Result(project)
    for path in discover(roots, Ignores()):
        head = path.read_bytes()
        reason = skip_reason(path, head)
        if reason is not None:
            result.skipped[category(reason)] += 1
            continue
        result.files += 1
        result.lines += head.count(b"\n")
    with tempfile.TemporaryDirectory() as neutral:  # no project configuration applies
        command = [sys.executable, "-m", "lantern", "check", "--format", "json",
                   "--fail-on", "never", *(["--preview"] if preview else []),
                   *map(str, roots)]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, cwd=neutral, capture_output=True, text=True)
        result.seconds = time.perf_counter() - start
        result.findings = json.loads(done.stdout or "[]")
        if project.python and peers:
            result.peers["bandit"] = _count_bandit(peers["bandit"], roots, neutral)
            result.peers["ruff"] = _count_ruff(peers["ruff"], roots, neutral)
    return result


def _count_bandit(bandit: Path, roots: list[Path], cwd: str) -> int | None:
    done = subprocess.run(
        [str(bandit), "-r", "-q", "-f", "json", *map(str, roots)],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip
    try:
        return len(json.loads(done.stdout)["results"])
    except (ValueError, KeyError):
        return None


def _count_ruff(ruff: Path, roots: list[Path], cwd: str) -> int | None:
    done = subprocess.run(
        [str(ruff), "check", "--isolated", "--no-cache", "--exit-zero", "--output-format",
         "json", *map(str, roots)],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip
    try:
        return len(json.loads(done.stdout))
    except ValueError:
        return None


# -- judging --------------------------------------------------------------------------------


def key_of(project: Project, tree: Path, finding: dict[str, object]) -> str:
    """`project:path:code:hash` where the hash is of the finding's stripped line."""
    path = Path(str(finding["path"]))
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    line_number = int(str(finding["line"]))
    text = lines[line_number - 1].strip() if 0 < line_number <= len(lines) else ""
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    relative = path.resolve().relative_to(tree.resolve()).as_posix()
    return f"{project.name}:{relative}:{finding['code']}:{digest}"


def load_judgements() -> dict[str, dict[str, str]]:
    if not JUDGEMENTS.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(JUDGEMENTS.read_text())
    return data


# -- report ---------------------------------------------------------------------------------


def report(results: list[tuple[Result, Path]], show_unjudged: bool) -> None:
    judgements = load_judgements()
    print("| project | files | lines | findings | per 1k lines | errors | seconds | bandit "
          "| ruff | skipped (not source) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    per_rule: dict[str, Counter[str]] = {}
    unjudged: list[str] = []
    seen: Counter[str] = Counter()
    total_lines = total_findings = total_errors = false_errors = false_total = 0
    for result, tree in results:
        errors = sum(1 for f in result.findings if f["severity"] == "error")
        total_lines += result.lines
        total_findings += len(result.findings)
        total_errors += errors
        skipped = ", ".join(f"{n} {kind}" for kind, n in sorted(result.skipped.items())) or "—"
        peers = [
            "—" if result.peers.get(tool) is None else str(result.peers[tool])
            for tool in ("bandit", "ruff")
        ]
        rate = 1000 * len(result.findings) / max(result.lines, 1)
        print(f"| {result.project.name} | {result.files} | {result.lines:,} | "
              f"{len(result.findings)} | {rate:.2f} | {errors} | {result.seconds:.1f} | "
              f"{peers[0]} | {peers[1]} | {skipped} |")  # fmt: skip
        for finding in result.findings:
            code = str(finding["code"])
            counts = per_rule.setdefault(code, Counter())
            counts["findings"] += 1
            counts["errors"] += finding["severity"] == "error"
            key = key_of(result.project, tree, finding)
            seen[key] += 1
            if seen[key] > 1:  # the same line text again in the same file
                key = f"{key}#{seen[key]}"
            verdict = judgements.get(key, {}).get("verdict", "").upper()
            if verdict in ("TRUE", "FALSE", "DEBATABLE"):
                counts["judged"] += 1
                counts[verdict] += 1
                if verdict == "FALSE":
                    false_total += 1
                    false_errors += finding["severity"] == "error"
            else:
                unjudged.append(
                    f'  "{key}": {{"verdict": "", "reason": ""}},  '
                    f"# {finding['path']}:{finding['line']} {finding['message']}"
                )
    print()
    print("| rule | findings | errors | judged | TRUE | FALSE | DEBATABLE | precision |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for code in sorted(per_rule):
        c = per_rule[code]
        decided = c["TRUE"] + c["FALSE"]
        precision = f"{100 * c['TRUE'] / decided:.0f} %" if decided else "—"
        print(f"| {code} | {c['findings']} | {c['errors']} | {c['judged']} | {c['TRUE']} | "
              f"{c['FALSE']} | {c['DEBATABLE']} | {precision} |")  # fmt: skip
    print()
    rate = 1000 * total_findings / max(total_lines, 1)
    false_share = 100 * false_total / max(total_findings, 1)
    false_error_share = 100 * false_errors / max(total_errors, 1)
    print(f"Total: {total_findings} findings in {total_lines:,} lines = {rate:.2f} per 1,000 "
          f"lines (target <= 1); FALSE {false_total} = {false_share:.1f} % of findings "
          f"(target <= 5 %), {false_errors} of {total_errors} errors = "
          f"{false_error_share:.1f} % (target 0 %); unjudged: {len(unjudged)}.")  # fmt: skip
    if show_unjudged and unjudged:
        print("\nUnjudged findings (paste into realcode_judgements.json and judge):")
        print("\n".join(unjudged))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", default="", help="Comma-separated project names.")
    parser.add_argument("--no-peers", action="store_true", help="Skip bandit and ruff.")
    parser.add_argument("--unjudged", action="store_true", help="List unjudged findings.")
    parser.add_argument("--preview", action="store_true", help="Also run the preview rules.")
    args = parser.parse_args()
    chosen = [p for p in PROJECTS if not args.only or p.name in args.only.split(",")]
    peers = None if args.no_peers else peer_tools()
    results = []
    for project in chosen:
        try:
            tree = fetch(project)
        except (subprocess.CalledProcessError, OSError, StopIteration) as exc:
            print(f"{project.name}: could not fetch {project.spec} ({exc})", file=sys.stderr)
            continue
        results.append((check(project, tree, peers, args.preview), tree))
    report(results, args.unjudged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
