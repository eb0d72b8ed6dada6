"""Benchmark `lantern check` against `bandit -r` and `ruff check --select ALL`.

Run on demand (never from the test suite):

    python benchmarks/bench_check.py [--repeat 3] [--tree PATH]

The tree defaults to a copy of the running interpreter's standard library (`Lib/`, only
its `.py` files, without site-packages), so every tool sees the same files. Each tool
runs in a fresh process, in interleaved repetitions; the table shows the median wall
time, the peak resident memory of the largest process (`ru_maxrss` of the children),
the number of findings, and the time relative to Lantern. A tool that is not installed
is skipped with a note. Install the peers by hand: `pip install bandit ruff`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

# Runs a command and reports its wall time and the peak RSS of its largest process.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(json.dumps({"seconds": elapsed, "peak_kb": peak_kb}) + "\\n")
sys.stdout.write(done.stdout.decode("utf-8", "replace"))
"""


def tools(tree: Path, report: Path) -> dict[str, list[str] | None]:
    """Each tool's command line, or None when it is not installed."""
    bin_dir = Path(sys.executable).parent

    def find(name: str) -> str | None:
        candidate = bin_dir / name
        return str(candidate) if candidate.exists() else shutil.which(name)

    bandit, ruff = find("bandit"), find("ruff")
    return {
        "lantern check": [
            sys.executable, "-m", "lantern", "check", str(tree), "--format", "json",
            "--output", str(report), "--fail-on", "never",
        ],
        "bandit -r": [bandit, "-r", str(tree), "-f", "json", "-q"] if bandit else None,
        "ruff check --select ALL": [
            ruff, "check", str(tree), "--select", "ALL", "--no-cache",
            "--output-format", "json", "--exit-zero",
        ] if ruff else None,
    }  # fmt: skip


def copy_stdlib(destination: Path) -> Path:
    """The interpreter's stdlib `.py` files, without site-packages or caches."""
    source = Path(sysconfig.get_paths()["stdlib"])
    target = destination / "Lib"
    for path in source.rglob("*.py"):
        relative = path.relative_to(source)
        if (
            relative.parts[0] in ("site-packages", "dist-packages")
            or "__pycache__" in relative.parts
        ):
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / relative)
    return target


def findings(name: str, stdout: str, report: Path) -> int | None:
    try:
        if name == "lantern check":
            return len(json.loads(report.read_text()))
        data = json.loads(stdout)
        return len(data["results"]) if isinstance(data, dict) else len(data)
    except (ValueError, KeyError, OSError):
        return None


def measure(command: list[str]) -> tuple[float, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=False
    )
    first, _, rest = done.stdout.partition("\n")
    numbers = json.loads(first)
    return numbers["seconds"], numbers["peak_kb"], rest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="Folder to check (default: a stdlib copy).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lantern-bench-") as scratch:
        tree = args.tree or copy_stdlib(Path(scratch))
        files = sum(1 for _ in tree.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in tree.rglob("*.py"))
        report = Path(scratch) / "lantern.json"
        commands = tools(tree, report)
        print(f"Tree: {tree} ({files:,} Python files, {lines:,} lines); CPUs: {os.cpu_count()}")
        for name, command in commands.items():
            if command is None:
                print(f"  {name}: not installed, skipped")
        runs: dict[str, list[tuple[float, int]]] = {n: [] for n, c in commands.items() if c}
        counts: dict[str, int | None] = {}
        for _ in range(args.repeat):
            for name, command in commands.items():
                if command is None:
                    continue
                seconds, peak_kb, stdout = measure(command)
                runs[name].append((seconds, peak_kb))
                counts[name] = findings(name, stdout, report)
        base = statistics.median(s for s, _ in runs["lantern check"])
        print()
        print(
            f"| tool | wall time (median of {args.repeat}) | peak memory | findings | vs lantern |"
        )
        print("|---|---:|---:|---:|---:|")
        for name, samples in runs.items():
            wall = statistics.median(s for s, _ in samples)
            peak = max(p for _, p in samples) / 1024
            count = counts.get(name)
            print(
                f"| {name} | {wall:.2f} s | {peak:.0f} MB | "
                f"{count if count is not None else '?':,} | {wall / base:.1f}x |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
