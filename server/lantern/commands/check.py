"""Check files and folders for problems, as in the editor (for CI and pre-commit).

Exit status: 0 when clean, 1 when there are findings, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from lantern.analysis.files import FileReport, check_file, discover


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="Files or folders.")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="Output format (default: text)."
    )


def run(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"lantern check: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    reports = [check_file(path) for path in discover(args.paths)]
    for report in reports:
        if report.skipped and report.path in args.paths:
            print(f"lantern check: skipped {report.path}: {report.skipped}", file=sys.stderr)
    if args.format == "json":
        write_json(reports, sys.stdout)
    else:
        write_text(reports, sys.stdout)
    return 1 if any(report.findings for report in reports) else 0


def rows(reports: list[FileReport]) -> list[dict[str, object]]:
    result: list[dict[str, object]] = []
    for report in reports:
        for finding in report.findings:
            start, end = report.location(finding.start_byte), report.location(finding.end_byte)
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
    found = rows(reports)
    for row in found:
        out.write(
            f"{row['path']}:{row['line']}:{row['column']}: "
            f"{row['severity']} {row['code']} {row['message']}\n"
        )
    files = len({row["path"] for row in found})
    checked = sum(1 for report in reports if report.skipped is None)
    if found:
        print(f"Found {len(found)} problem(s) in {files} of {checked} file(s).", file=sys.stderr)
    else:
        print(f"All clear: {checked} file(s) checked.", file=sys.stderr)
