"""Check files and folders for problems, as in the editor (for CI and pre-commit).

Folders are searched recursively, honouring `.gitignore` and the `exclude` setting;
files are analysed in parallel processes. Settings come from the same files the server
reads (`pyproject.toml` `[tool.lantern]`, `lantern.toml`, the user config); command-line
options add to them.

Exit status: 0 when no finding reaches `--fail-on`, 1 when one does, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from lantern import __version__
from lantern.analysis import generated
from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import rule_options
from lantern.analysis.files import FileReport, Ignores, check_file, discover
from lantern.analysis.findings import Severity
from lantern.analysis.rules import catalogue
from lantern.analysis.rules.model import Rule

FAIL_ON = {
    "error": Severity.ERROR.rank,
    "warning": Severity.WARNING.rank,
    "information": Severity.INFORMATION.rank,
    "hint": Severity.HINT.rank,
    "never": 0,
}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}
DOCS_URL = "https://github.com/lantern-lsp/lantern/blob/main/docs/rules.md"
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16


def _codes(value: str) -> list[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="Files or folders.")
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="Output format (default: text). SARIF 2.1.0 suits GitHub code scanning.",
    )
    parser.add_argument(
        "--ai",
        action="store_true",
        help="Also ask the configured model to review each function (findings from source "
        "lantern-ai); answers are cached and shared with the editor.",
    )
    parser.add_argument("--output", "-o", type=Path, help="Write the report here, not stdout.")
    parser.add_argument(
        "--select",
        type=_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="Run only these rule codes or prefixes, comma-separated, instead of the "
        "configured `select` (e.g. LS,LB206; ALL).",
    )
    parser.add_argument(
        "--extend-select",
        type=_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="Rule codes or prefixes to run in addition, comma-separated (e.g. LC).",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="Also run the preview rules (precision on real code not yet proven).",
    )
    parser.add_argument(
        "--ignore",
        type=_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="Rule codes or prefixes to disable, comma-separated.",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="Paths to skip, gitignore syntax (repeatable); added to the `exclude` setting.",
    )
    parser.add_argument(
        "--fail-on",
        choices=tuple(FAIL_ON),
        default="information",
        help="Exit 1 when a finding is at least this severe (default: information, i.e. any).",
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=0, help="Worker processes (default: one per CPU)."
    )


def run(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"lantern check: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    unknown = _unknown_codes(args)
    if unknown:
        for problem in unknown:
            print(f"lantern check: {problem}", file=sys.stderr)
        return 2
    options, exclude, max_size, docs_url = _settings(args)
    ignores = Ignores(exclude, base=Path.cwd())
    paths = list(discover(args.paths, ignores))
    reports = _check_all(paths, options, max_size, args.jobs, frozenset(args.paths))
    if args.ai:
        _review(reports)
    for report in reports:
        if report.skipped and report.path in args.paths:
            print(f"lantern check: skipped {report.path}: {report.skipped}", file=sys.stderr)

    def writer(out: TextIO) -> None:
        if args.format == "json":
            write_json(reports, out)
        elif args.format == "sarif":
            write_sarif(reports, out, docs_url)
        else:
            write_text(reports, out)

    if args.output is not None:
        with args.output.open("w", encoding="utf-8") as out:
            writer(out)
    else:
        writer(sys.stdout)
    _summary(reports, sys.stderr)
    threshold = FAIL_ON[args.fail_on]
    failing = any(f.severity.rank <= threshold for r in reports for f in r.findings)
    return 1 if failing else 0


def _review(reports: list[FileReport]) -> None:
    """`--ai`: the model reviews each file's functions; its findings join the report."""
    from lantern.assist.review import review_reports
    from lantern.config import file_layers, load_settings

    settings, _ = load_settings(file_layers(Path.cwd()))
    for problem in review_reports(reports, settings):
        print(f"lantern check --ai: {problem}", file=sys.stderr)


def _settings(args: argparse.Namespace) -> tuple[RuleOptions, list[str], int, str]:
    """Rule options, excludes, the size cap and the docs URL: config files, then flags."""
    from lantern.config import file_layers, load_settings

    settings, warnings = load_settings(file_layers(Path.cwd()))
    for warning in warnings:
        print(f"lantern check: {warning}", file=sys.stderr)
    options = rule_options(settings.rules)
    options = replace(
        options,
        select=tuple(args.select) or options.select,  # the command line replaces `select`
        extend_select=(*options.extend_select, *args.extend_select),
        ignore=(*options.ignore, *args.ignore),
        preview=options.preview or args.preview,
    )
    exclude = [*settings.exclude, *args.exclude]
    return options, exclude, settings.diagnostics.max_file_size, settings.rules.docs_url


def _unknown_codes(args: argparse.Namespace) -> list[str]:
    from lantern.analysis.rules.selection import unknown_code

    problems = []
    for flag in ("select", "extend_select", "ignore"):
        for entry in getattr(args, flag):
            if (problem := unknown_code(entry)) is not None:
                problems.append(f"{problem} (in --{flag.replace('_', '-')})")
    return problems


def _check_one(job: tuple[Path, RuleOptions, int, bool]) -> FileReport:
    path, options, max_size, explicit = job
    # Generated, minified and vendored files are skipped unless named explicitly.
    return check_file(path, options, max_size, skip_generated=not explicit)


def _check_all(
    paths: list[Path],
    options: RuleOptions,
    max_size: int,
    jobs: int,
    explicit: frozenset[Path] = frozenset(),
) -> list[FileReport]:
    work = [(path, options, max_size, path in explicit) for path in paths]
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    if workers == 1 or len(work) < PARALLEL_THRESHOLD:
        return [_check_one(job) for job in work]
    chunk = max(1, min(64, len(work) // (workers * 8)))
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_check_one, work, chunksize=chunk))


# -- output -------------------------------------------------------------------------------


def rows(reports: list[FileReport]) -> list[dict[str, object]]:
    result: list[dict[str, object]] = []
    for report in reports:
        for finding, (start, end) in zip(report.findings, report.locations, strict=True):
            result.append(
                {
                    "path": str(report.path),
                    "line": start.line,
                    "column": start.column,
                    "end_line": end.line,
                    "end_column": end.column,
                    "severity": str(finding.severity),
                    "code": finding.code,
                    "source": finding.source,
                    "message": finding.message,
                }
            )
    return result


def write_json(reports: list[FileReport], out: TextIO) -> None:
    json.dump(rows(reports), out, indent=2)
    out.write("\n")


def write_text(reports: list[FileReport], out: TextIO) -> None:
    for row in rows(reports):
        out.write(
            f"{row['path']}:{row['line']}:{row['column']}: "
            f"{row['severity']} {row['code']} {row['message']}"
            + (f" [{row['source']}]" if row["source"] != "lantern" else "")
            + "\n"
        )


def _summary(reports: list[FileReport], out: TextIO) -> None:
    checked = sum(1 for report in reports if report.skipped is None)
    findings = [f for report in reports for f in report.findings]
    not_source = Counter(
        generated.category(r.skipped)
        for r in reports
        if r.skipped and generated.category(r.skipped) in generated.CATEGORIES
    )
    if not_source:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(not_source.items()))
        out.write(
            f"Skipped {sum(not_source.values())} file(s) that are not source ({kinds}); "
            "name a file explicitly to check it anyway.\n"
        )
    if not findings:
        out.write(f"All clear: {checked} file(s) checked.\n")
        return
    files = sum(1 for report in reports if report.findings)
    by_severity = Counter(str(f.severity) for f in findings)
    parts = ", ".join(
        f"{by_severity[s]} {s}"
        for s in ("error", "warning", "information", "hint")
        if by_severity[s]
    )
    fixable = sum(1 for f in findings if (f.data or {}).get("fix"))
    out.write(
        f"Found {len(findings)} problem(s) ({parts}) in {files} of {checked} file(s); "
        f"{fixable} have a quick fix in the editor.\n"
    )


def _sarif_uri(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def sarif_rules(docs_url: str = DOCS_URL) -> list[dict[str, Any]]:
    described = [
        {
            "id": "syntax",
            "name": "syntax-error",
            "shortDescription": {"text": "The file does not parse."},
            "fullDescription": {"text": "tree-sitter could not parse this part of the file."},
            "help": {"text": "Fix the syntax error.", "markdown": "Fix the syntax error."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["syntax"]},
        }
    ]
    for rule in catalogue():
        example = rule.examples[0] if rule.examples else None
        markdown = rule.rationale
        if example is not None:
            markdown += (
                f"\n\nBad:\n\n```{example.language}\n{example.bad}\n```\n\n"
                f"Good:\n\n```{example.language}\n{example.good}\n```"
            )
        described.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.rationale},
                "help": {"text": rule.rationale, "markdown": markdown},
                "helpUri": f"{docs_url}#{rule.code.lower()}",
                "defaultConfiguration": {
                    "level": SARIF_LEVEL[rule.severity],
                    "enabled": rule.default_enabled,
                },
                "properties": _rule_properties(rule),
            }
        )
    return described


def _rule_properties(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": [str(rule.category)], "precision": "high"}
    if rule.category == "security":
        # GitHub code scanning ranks security alerts by this CVSS-like score.
        properties["security-severity"] = "8.0" if rule.severity == Severity.ERROR else "5.0"
    return properties


def write_sarif(reports: list[FileReport], out: TextIO, docs_url: str = DOCS_URL) -> None:
    rules = sarif_rules(docs_url)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = []
    for report in reports:
        for finding, (start, end) in zip(report.findings, report.locations, strict=True):
            results.append(
                {
                    "ruleId": finding.code,
                    **({"ruleIndex": index[finding.code]} if finding.code in index else {}),
                    **(
                        {"properties": {"source": finding.source}}
                        if finding.source != "lantern"
                        else {}
                    ),
                    "level": SARIF_LEVEL[finding.severity],
                    "message": {"text": finding.message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {
                                    "uri": _sarif_uri(report.path),
                                    "uriBaseId": "%SRCROOT%",
                                },
                                "region": {
                                    "startLine": start.line,
                                    "startColumn": start.column,
                                    "endLine": end.line,
                                    "endColumn": end.column,
                                },
                            }
                        }
                    ],
                }
            )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Lantern",
                        "version": __version__,
                        "informationUri": docs_url,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    json.dump(log, out, indent=2)
    out.write("\n")
