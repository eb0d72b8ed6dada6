"""Benchmark `lantern check` against `bandit -r` and `ruff check --select ALL`.

Run on demand (never from the test suite):

    python benchmarks/bench_check.py [--repeat 3] [--tree PATH] [--baseline CHECKOUT]

The tree defaults to a copy of the running interpreter's standard library (`Lib/`, only
its `.py` files, without site-packages), so every tool sees the same files. Each tool
runs in a fresh process, in interleaved repetitions; the table shows the median wall
time and CPU time (user + system of every process: what the machine's other work
cannot inflate much), the peak resident memory of the largest process (`ru_maxrss` of
the children), the number of findings, and the wall time relative to ruff and bandit.
A tool that is not installed is skipped with a note. Install the peers by hand:
`pip install bandit ruff`.
Lantern runs with `--jobs 1` and `--jobs 2`; the speed-up is printed beside the
machine's ceiling for it (two CPU-bound processes side by side against one after the
other, measured in each round: a shared machine gives less than 2x); `--baseline` adds
a row for another checkout (its `server/` first on `PYTHONPATH`). A second table gives
each tool's wall time on one small file: start-up, what a pre-commit hook waits for.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lsp import compile_bytecode

# Runs a command and reports its wall time and the peak RSS of its largest process.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
sys.stdout.write(json.dumps({"seconds": elapsed, "peak_kb": usage.ru_maxrss, "cpu": cpu}) + "\\n")
sys.stdout.write(done.stdout.decode("utf-8", "replace"))
"""


def tools(
    tree: Path, report: Path, baseline: Path | None = None
) -> dict[str, tuple[list[str], dict[str, str] | None] | None]:
    """Each tool's (command line, extra environment), or None when it is not installed.
    Lantern runs with one and with two worker processes (`--jobs`)."""
    bin_dir = Path(sys.executable).parent

    def find(name: str) -> str | None:
        candidate = bin_dir / name
        return str(candidate) if candidate.exists() else shutil.which(name)

    def lantern(jobs: int, output: Path) -> list[str]:
        return [
            sys.executable, "-m", "lantern", "check", str(tree), "--format", "json",
            "--output", str(output), "--fail-on", "never", "--jobs", str(jobs),
        ]  # fmt: skip

    bandit, ruff = find("bandit"), find("ruff")
    found: dict[str, tuple[list[str], dict[str, str] | None] | None] = {
        "lantern check --jobs 2": (lantern(2, report), None),
        "lantern check --jobs 1": (lantern(1, report.with_name("jobs1.json")), None),
    }
    if baseline is not None:
        path = {"PYTHONPATH": str(baseline.resolve() / "server")}
        found["baseline --jobs 2"] = (lantern(2, report.with_name("baseline.json")), path)
    found["bandit -r"] = ([bandit, "-r", str(tree), "-f", "json", "-q"], None) if bandit else None
    found["ruff check --select ALL"] = (
        [
            ruff, "check", str(tree), "--select", "ALL", "--no-cache",
            "--output-format", "json", "--exit-zero",
        ],
        None,
    ) if ruff else None  # fmt: skip
    return found


def startup(repeat: int, scratch: Path, baseline: Path | None) -> None:
    """Wall time of each tool on one small file: what a pre-commit hook waits for."""
    small = scratch / "small.py"
    small.write_text("import os\n\n\ndef run(path):\n    return os.path.join(path, 'x')\n")
    bin_dir = Path(sys.executable).parent
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "lantern check": ([sys.executable, "-m", "lantern", "check", str(small)], None),
        "python -c pass": ([sys.executable, "-c", "pass"], None),
    }
    if baseline is not None:
        path = {"PYTHONPATH": str(baseline.resolve() / "server")}
        commands["baseline"] = ([sys.executable, "-m", "lantern", "check", str(small)], path)
    for name, command in (
        ("ruff check --select ALL", ["ruff", "check", "--select", "ALL", "--no-cache"]),
        ("bandit", ["bandit", "-q"]),
    ):
        executable = bin_dir / command[0]
        if executable.exists() or shutil.which(command[0]):
            found = str(executable) if executable.exists() else str(shutil.which(command[0]))
            commands[name] = ([found, *command[1:], str(small)], None)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat + 1):  # the first round writes bytecode caches: not counted
        for name, (command, env) in commands.items():
            seconds, _, _, cpu = measure(command, env)
            times[name].append((seconds, cpu))
    print("\nOne small file (start-up), median of", repeat, "(target: lantern under 150 ms)")
    print("| tool | wall time | CPU time |")
    print("|---|---:|---:|")
    for name, samples in times.items():
        wall = statistics.median(s[0] for s in samples[1:]) * 1000
        cpu = statistics.median(s[1] for s in samples[1:]) * 1000
        print(f"| {name} | {wall:.0f} ms | {cpu:.0f} ms |")


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
        if name.startswith(("lantern", "baseline")):
            return len(json.loads(report.read_text()))
        data = json.loads(stdout)
        return len(data["results"]) if isinstance(data, dict) else len(data)
    except (ValueError, KeyError, OSError):
        return None


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS (KB), standard output and CPU seconds (user + system, all
    processes) of one run."""
    environment = {**os.environ, **(env or {})}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # installed packages have .pyc files
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    first, _, rest = done.stdout.partition("\n")
    numbers = json.loads(first)
    return numbers["seconds"], numbers["peak_kb"], rest, numbers["cpu"]


_BURN = "x = 0\nfor i in range(5_000_000):\n    x += i * i\n"


def parallel_ceiling() -> float:
    """How much faster two CPU-bound processes finish side by side than one after the
    other, now: 2.0 on two idle cores, less when other work holds a core (or the two
    virtual CPUs share one). What `--jobs 2` over `--jobs 1` can reach at best."""

    def run(copies: int) -> float:
        start = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-c", _BURN]) for _ in range(copies)]
        for process in processes:
            process.wait()
        return time.perf_counter() - start

    return 2 * run(1) / run(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="Folder to check (default: a stdlib copy).")
    parser.add_argument("--baseline", type=Path, help="Another Lantern checkout (a row).")
    args = parser.parse_args()
    compile_bytecode(args.baseline)
    with tempfile.TemporaryDirectory(prefix="lantern-bench-") as scratch:
        tree = args.tree or copy_stdlib(Path(scratch))
        files = sum(1 for _ in tree.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in tree.rglob("*.py"))
        report = Path(scratch) / "lantern.json"
        commands = tools(tree, report, args.baseline)
        print(f"Tree: {tree} ({files:,} Python files, {lines:,} lines); CPUs: {os.cpu_count()}")
        for name, command in commands.items():
            if command is None:
                print(f"  {name}: not installed, skipped")
        runs: dict[str, list[tuple[float, int, float]]] = {n: [] for n, c in commands.items() if c}
        counts: dict[str, int | None] = {}
        ceilings: list[float] = []
        for round_ in range(args.repeat + 1):  # round 0 warms the file system: not counted
            if round_:
                ceilings.append(parallel_ceiling())
            for name, entry in commands.items():
                if entry is None:
                    continue
                seconds, peak_kb, stdout, cpu = measure(*entry)
                if round_:
                    runs[name].append((seconds, peak_kb, cpu))
                output = (
                    Path(entry[0][entry[0].index("--output") + 1])
                    if "--output" in entry[0]
                    else report
                )
                counts[name] = findings(name, stdout, output)
        walls = {name: statistics.median(s[0] for s in samples) for name, samples in runs.items()}
        cpus = {name: statistics.median(s[2] for s in samples) for name, samples in runs.items()}
        ruff = walls.get("ruff check --select ALL")
        bandit = walls.get("bandit -r")
        print()
        print(f"| tool | wall time (median of {args.repeat}) | CPU time | peak memory "
              "| findings | / ruff --select ALL | / bandit |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, samples in runs.items():
            wall = walls[name]
            peak = max(s[1] for s in samples) / 1024
            count = counts.get(name)
            print(
                f"| {name} | {wall:.2f} s | {cpus[name]:.2f} s | {peak:.0f} MB | "
                f"{count if count is not None else '?':,} | "
                f"{wall / ruff if ruff else float('nan'):.2f}x | "
                f"{wall / bandit if bandit else float('nan'):.2f}x |"
            )
        one, two = walls["lantern check --jobs 1"], walls["lantern check --jobs 2"]
        print(
            f"--jobs 2 is {one / two:.2f}x as fast as --jobs 1 (CPU time: "
            f"{cpus['lantern check --jobs 2'] / cpus['lantern check --jobs 1']:.2f}x as much)"
        )
        print(f"Two CPU-bound processes side by side were {statistics.median(ceilings):.2f}x as "
              "fast as one after the other in the same rounds: the machine's ceiling for that "
              "ratio now")  # fmt: skip
        print("Load average (1, 5, 15 min) at the end: "
              f"{', '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs; "
              "other work on the machine slows --jobs 2 the most")  # fmt: skip
        startup(max(args.repeat, 5), Path(scratch), args.baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
