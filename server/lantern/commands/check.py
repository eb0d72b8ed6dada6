"""Check files and folders for problems, as in the editor (for CI and pre-commit).

Folders are searched recursively, honouring `.gitignore` and the `exclude` setting;
files are analysed in parallel processes. Settings come from the same files the server
reads (`pyproject.toml` `[tool.lantern]`, `lantern.toml`, the user config); command-line
options add to them.

Each file gets the settings of its project: the nearest folder above it with a
`lantern.toml` or a `pyproject.toml` holding `[tool.lantern]`, whatever folder `lantern
check` is started from (the same rule as in the editor).

Exit status: 0 when no finding reaches `--fail-on`, 1 when one does, 2 on a usage error
(a missing path, a bad option), a configuration file that cannot be used (TOML syntax
error, unreadable, `LANTERN_CONFIG` naming no file), a file that could not be read (or a
path named explicitly that was skipped, but not for an unsupported language), a report
that cannot be written, or an internal error; never a traceback. A symlink loop or
dangling link met in a folder walk is reported but does not fail the run: there is no
file behind it. A closed standard output (`| head`) is not an error.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from lantern import __version__
from lantern.analysis import generated
from lantern.analysis.context import RuleOptions
from lantern.analysis.engine import rule_options
from lantern.analysis.files import (
    UNSUPPORTED_LANGUAGE,
    FileReport,
    Ignores,
    check_file,
    discover,
)
from lantern.analysis.findings import Severity
from lantern.analysis.rules import catalogue
from lantern.analysis.rules.model import Rule
from lantern.config_sources import (
    DOCS_URL,
    ConfigLayer,
    configured,
    project_directory,
    project_layers,
    user_layers,
)
from lantern.session import DEFAULT_MAX_FILE_SIZE

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
# Below this many files, starting worker processes costs more than it saves; and each
# worker gets at least FILES_PER_WORKER files (a 64-core machine checking 40 files
# starts 5 workers, not 64).
PARALLEL_THRESHOLD = 16
FILES_PER_WORKER = 8
# Python's cyclic collector runs after every 700 new containers by default; an analysis
# creates hundreds of thousands (its query's matches: tuples, dicts, lists, alive until
# the file is done), so the collector kept traversing them: 4% of a check of the
# stdlib. They are freed by reference counting; cycles are rare and small, so
# collecting every 10,000 leaves memory as it was.
COLLECT_EVERY = 10_000


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
        "--no-default-excludes",
        dest="default_excludes",
        action="store_false",
        help="Also check folders skipped by default (node_modules, dist, target, .venv, ...).",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        help="Worker processes (default: one per CPU this process may use).",
    )


def run(args: argparse.Namespace) -> int:
    # lexists: a symlink loop or a dangling link exists, and is reported as unreadable.
    missing = [str(path) for path in args.paths if not os.path.lexists(path)]
    if missing:
        print(f"lantern check: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    unknown = _unknown_codes(args)
    if unknown:
        for problem in unknown:
            print(f"lantern check: {problem}", file=sys.stderr)
        return 2
    projects = _Projects(args)
    named = set(args.paths)
    excluded: list[Path] = []
    work: list[tuple[Path, RuleOptions, int, bool]] = []
    for root in args.paths:
        settings = projects.settings_for(root if root.is_dir() else root.parent)
        base = projects.directory_of(root if root.is_dir() else root.parent) or Path.cwd()
        ignores = Ignores([*settings.exclude, *args.exclude], base=base)
        found = discover([root], ignores, default_excludes=args.default_excludes, excluded=excluded)
        for path in found:
            options = projects.options_for(path.parent)
            max_size = projects.settings_for(path.parent).max_file_size
            work.append((path, options, max_size, path in named))
    if projects.errors:
        for error in dict.fromkeys(projects.errors):
            print(f"lantern check: configuration error: {error}", file=sys.stderr)
        return 2
    reports = _check_all(work, args.jobs)
    if args.ai:
        _review(reports)
    for report in reports:
        if report.skipped and (report.path in args.paths or report.unreadable):
            print(f"lantern check: skipped {report.path}: {report.skipped}", file=sys.stderr)
    docs_url = projects.settings_for(Path.cwd()).docs_url

    def writer(out: TextIO) -> None:
        if args.format == "json":
            write_json(reports, out)
        elif args.format == "sarif":
            write_sarif(reports, out, docs_url)
        else:
            write_text(reports, out)

    if args.output is not None:
        try:
            with args.output.open("w", encoding="utf-8") as out:
                writer(out)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(f"lantern check: cannot write {args.output}: {reason}", file=sys.stderr)
            return 2
    else:
        _write_to_stdout(writer)
    _summary(reports, sys.stderr, excluded)
    named = set(args.paths)
    if any(
        r.failed or (r.path in named and r.skipped not in (None, UNSUPPORTED_LANGUAGE))
        for r in reports
    ):
        return 2  # a file that should have been checked was not: not a clean run
    threshold = FAIL_ON[args.fail_on]
    failing = any(f.severity.rank <= threshold for r in reports for f in r.findings)
    return 1 if failing else 0


def _write_to_stdout(writer: Callable[[TextIO], None]) -> None:
    """Write the report to stdout; a reader that stopped early (`| head`) is not an error."""
    try:
        writer(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """What `check` uses of one project's settings. The defaults are the settings
    model's (a test proves it), so a project with nothing configured is checked without
    building the model: pydantic alone costs more than checking a small file."""

    exclude: tuple[str, ...] = ()
    options: RuleOptions = field(default_factory=RuleOptions)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    docs_url: str = DOCS_URL

    @classmethod
    def of(cls, settings: Any) -> ProjectSettings:
        """From a `lantern.config.Settings`."""
        return cls(
            tuple(settings.exclude),
            rule_options(settings.rules),
            settings.diagnostics.max_file_size,
            settings.rules.docs_url,
        )


class _Projects:
    """Settings per project folder (nearest config above a file), loaded once each.

    Warnings about values are printed once; a configuration file that cannot be used is
    collected in `errors` (the run then stops with status 2).
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.errors: list[str] = []
        self._warned: set[str] = set()
        self._directories: dict[Path, Path | None] = {}
        self._settings: dict[Path | None, ProjectSettings] = {}
        self._options: dict[Path | None, RuleOptions] = {}

    def directory_of(self, folder: Path) -> Path | None:
        folder = folder.absolute()
        if folder not in self._directories:
            self._directories[folder] = project_directory(folder)
        return self._directories[folder]

    def settings_for(self, folder: Path) -> ProjectSettings:
        project = self.directory_of(folder)
        if project not in self._settings:
            layers = [*user_layers(), *(project_layers(project) if project else [])]
            if configured(layers):
                self._settings[project] = ProjectSettings.of(self._load(layers))
            else:
                self._settings[project] = ProjectSettings()
        return self._settings[project]

    def _load(self, layers: list[ConfigLayer]) -> Any:
        from lantern.config import load_settings

        self.errors += [layer.problem for layer in layers if layer.problem]
        settings, warnings = load_settings(layers)
        for warning in warnings:
            if warning not in self._warned and not any(warning == e for e in self.errors):
                self._warned.add(warning)
                print(f"lantern check: {warning}", file=sys.stderr)
        return settings

    def options_for(self, folder: Path) -> RuleOptions:
        """Rule options: the project's, then the selection flags."""
        project = self.directory_of(folder)
        if project not in self._options:
            options = self.settings_for(folder).options
            self._options[project] = replace(
                options,
                select=tuple(self.args.select) or options.select,  # the flag replaces `select`
                extend_select=(*options.extend_select, *self.args.extend_select),
                ignore=(*options.ignore, *self.args.ignore),
                preview=options.preview or self.args.preview,
            )
        return self._options[project]


def _review(reports: list[FileReport]) -> None:
    """`--ai`: the model reviews each file's functions; its findings join the report."""
    from lantern.assist.review import review_reports
    from lantern.config import file_layers, load_settings

    settings, _ = load_settings(file_layers(Path.cwd()))
    for problem in review_reports(reports, settings):
        print(f"lantern check --ai: {problem}", file=sys.stderr)


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


def _check_all(work: list[tuple[Path, RuleOptions, int, bool]], jobs: int) -> list[FileReport]:
    """Each job's report, in the order of `work`; in worker processes when it pays."""
    gc.set_threshold(COLLECT_EVERY)  # forked workers inherit it (see `_check_chunk`)
    workers = min(jobs if jobs > 0 else default_jobs(), -(-len(work) // FILES_PER_WORKER))
    if workers <= 1 or len(work) < PARALLEL_THRESHOLD:
        return [_check_one(job) for job in work]
    import multiprocessing  # 50 ms of imports with the pool: only when used
    from concurrent.futures import ProcessPoolExecutor

    if sys.platform == "linux":
        # Workers forked once the grammars are loaded and the rules' queries compiled
        # start warm and share those pages; otherwise each worker pays it again (60 ms
        # per language). Fork is safe here: no thread runs yet. (Python 3.14 makes
        # forkserver the default; macOS's default is spawn, whose workers inherit none.)
        context = multiprocessing.get_context("fork")
        _prepare(work, workers * FILES_PER_WORKER)
    else:
        context = multiprocessing.get_context()
    # Largest files first, in chunks of about equal size: a big file handed out last, or
    # the biggest ones in one chunk, would leave the other workers idle while it runs.
    sizes = [_size(job[0]) for job in work]
    chunks = _chunks(sizes, -(-sum(sizes) // (workers * 16)))
    reports: list[FileReport | None] = [None] * len(work)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        answers = pool.map(_check_chunk, [[work[index] for index in chunk] for chunk in chunks])
        for chunk, chunk_reports in zip(chunks, answers, strict=True):
            for index, report in zip(chunk, chunk_reports, strict=True):
                reports[index] = report
    return [report for report in reports if report is not None]


def _chunks(sizes: list[int], target: int, most: int = 8) -> list[list[int]]:
    """Indexes into `sizes`, largest first, cut into chunks of at most `most` files
    and, unless one file is larger alone, at most `target` bytes."""
    chunks: list[list[int]] = []
    chunk: list[int] = []
    total = 0
    for index in sorted(range(len(sizes)), key=lambda index: -sizes[index]):
        if chunk and (len(chunk) == most or total + sizes[index] > target):
            chunks.append(chunk)
            chunk, total = [], 0
        chunk.append(index)
        total += sizes[index]
    return [*chunks, chunk] if chunk else chunks


def _check_chunk(jobs: list[tuple[Path, RuleOptions, int, bool]]) -> list[FileReport]:
    gc.set_threshold(COLLECT_EVERY)  # a spawned worker (macOS, Windows) starts anew
    return [_check_one(job) for job in jobs]


def _prepare(work: list[tuple[Path, RuleOptions, int, bool]], at_least: int) -> None:
    """Pay the one-time analysis costs of each (language, options) pair with `at_least`
    files in this process: every worker would meet it. A rarer pair is left to the
    worker that meets it, rather than delay them all."""
    from lantern.analysis.languages import detect_language
    from lantern.analysis.warmup import prepare

    pairs = Counter((detect_language(path.name), options) for path, options, _, _ in work)
    for (language, options), files in pairs.items():
        if language is not None and files >= at_least:
            prepare(language, options)
            prepare(language, options, later=True)


def default_jobs() -> int:
    """One worker per CPU this process may run on (its affinity mask, as
    `os.process_cpu_count`), at most a container's CPU quota (cgroup v2 `cpu.max`)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on macOS or Windows
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota: the affinity mask is the limit
    return max(1, cpus)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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
    import json  # not for text output: start-up matters for one file

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


def _count(number: int, noun: str) -> str:
    """`1 file`, `2 files`, `1 problem`, `3 errors`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summary(reports: list[FileReport], out: TextIO, excluded: list[Path] | None = None) -> None:
    checked = sum(1 for report in reports if report.skipped is None)
    findings = [f for report in reports for f in report.findings]
    not_source = Counter(
        generated.category(r.skipped)
        for r in reports
        if r.skipped and generated.category(r.skipped) in generated.CATEGORIES
    )
    if not_source:
        total = sum(not_source.values())
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(not_source.items()))
        out.write(
            f"Skipped {_count(total, 'file')} that {'is' if total == 1 else 'are'} "
            f"not source ({kinds}); "
            "name a file explicitly to check it anyway.\n"
        )
    skipped = Counter(
        "unreadable" if r.unreadable else r.skipped.split(" (")[0]
        for r in reports
        if r.skipped and generated.category(r.skipped) not in generated.CATEGORIES
    )
    not_checked = ""
    if skipped:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items()))
        not_checked = f"; {_count(sum(skipped.values()), 'file')} not checked ({reasons})"
    if not findings and skipped:
        out.write(f"No problems in {_count(checked, 'file')} checked{not_checked}.\n")
    elif not findings:
        out.write(f"All clear: {_count(checked, 'file')} checked.\n")
    else:
        files = sum(1 for report in reports if report.findings)
        by_severity = Counter(str(f.severity) for f in findings)
        parts = ", ".join(
            _count(by_severity[s], s) if s in ("error", "warning") else f"{by_severity[s]} {s}"
            for s in ("error", "warning", "information", "hint")
            if by_severity[s]
        )
        fixable = sum(1 for f in findings if (f.data or {}).get("fix"))
        verb = "has" if fixable == 1 else "have"
        out.write(
            f"Found {_count(len(findings), 'problem')} ({parts}) in {files} of "
            f"{_count(checked, 'file')}; {fixable} {verb} a quick fix in the editor{not_checked}.\n"
        )
    if excluded:
        names = ", ".join(f"{_shown(folder)}/" for folder in excluded[:5])
        more = f" and {len(excluded) - 5} more" if len(excluded) > 5 else ""
        out.write(
            f"{_count(len(excluded), 'folder')} skipped by the default excludes ({names}{more}); "
            "`--no-default-excludes` checks them.\n"
        )


def _shown(path: Path) -> str:
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def sarif_location(path: Path) -> dict[str, str]:
    """A SARIF `artifactLocation`: a percent-encoded relative URI with `uriBaseId` under
    the source root (the working folder), else an absolute `file:` URI without it
    (SARIF 2.1.0 §3.4.4: with `uriBaseId`, `uri` must be relative)."""
    absolute = Path(os.path.normpath(path.absolute()))  # no `..`, symlinks kept
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": "%SRCROOT%"}


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


def _invocation(reports: list[FileReport]) -> dict[str, Any]:
    """Files that were not checked, as tool notifications (SARIF 2.1.0 §3.20.21)."""
    notifications = [
        {
            "level": "error" if report.failed else "warning" if report.broken_link else "note",
            "message": {"text": f"Not checked: {report.skipped}."},
            "locations": [{"physicalLocation": {"artifactLocation": sarif_location(report.path)}}],
        }
        for report in reports
        if report.skipped
    ]
    return {
        "executionSuccessful": not any(report.failed for report in reports),
        "toolExecutionNotifications": notifications,
    }


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
                                "artifactLocation": sarif_location(report.path),
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
    import json

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
                "invocations": [_invocation(reports)],
                "results": results,
            }
        ],
    }
    json.dump(log, out, indent=2)
    out.write("\n")
