"""Paying analysis's one-time costs ahead of the first file: pure, never raises.

The first analysis of a language in a process loads its grammar, imports the rule
modules (compiling their regular expressions), compiles the fused query of the enabled
rules and every query a rule compiles on first use: about 150 ms on Python, against a
few tens for a warm analysis of a 3,500-line file. `prepare` does all of that by
analysing a small sample that exercises the rules, once per (language, options) per
process; a caller that arrives while another thread prepares the same pair waits for it
rather than doing the work twice (two threads compiling the same queries under one GIL
finish later than one). `languages_in` finds which languages a workspace holds, cheaply.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lantern.analysis.context import RuleOptions
from lantern.analysis.languages import LanguageSpec, detect_language, parse

if TYPE_CHECKING:
    from tree_sitter import Tree

log = logging.getLogger(__name__)

# Small programs that reach the rules' first-use work (calls, imports, loops, strings,
# classes, async functions, error handling): not findings anyone reads.
_PYTHON = b"""\
import os, subprocess
from hashlib import md5 as digest
import requests

password = "hunter2-not-a-secret"


class Store(object):
    items: list = []

    def __init__(self, path, values=[]):
        self.path = path

    def load(self, key):
        with open(self.path) as handle:
            data = handle.read()
        for index in range(len(data)):
            if data[index] == key:
                return eval(data)
        while True:
            try:
                subprocess.run("ls " + key, shell=True)
            except Exception:
                pass
            break
        result = [x for x in data if x]
        return digest(result).hexdigest(), requests.get(f"http://{key}", verify=False)


def walk(n):
    total = lambda: n
    if n:
        value = 1
    print(value, total(), os.path.join("a", "b"))
    return walk(n)
"""

_JAVASCRIPT = b"""\
import fs from "fs";
const { exec } = require("child_process");
const token = "hunter2-not-a-secret";

class Store {
  constructor(path) { this.path = path; }
  async load(key) {
    for (let i = 0; i < key.length; i++) {
      if (key[i] == null) { return eval(key); }
    }
    try { exec("ls " + key); } catch (e) {}
    document.getElementById("x").innerHTML = key;
    const data = await fetch(`http://${key}`).then((r) => r.json());
    return new Promise((resolve) => setTimeout(() => resolve(data), 0));
  }
}

function walk(n) { var total = function () { return n; }; return walk(n) + total(); }
export default Store;
"""

_GO = b"""\
package main

import (
	"crypto/md5"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
)

const token = "hunter2-not-a-secret"

type Store struct{ path string }

func (s *Store) Load(db *sql.DB, key string) (string, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for i := 0; i < len(key); i++ {
		go func() { fmt.Println(key) }()
	}
	exec.Command("sh", "-c", "ls "+key).Run()
	db.Query("SELECT * FROM t WHERE k = " + key)
	http.Get("http://" + key)
	return fmt.Sprintf("%x", md5.Sum([]byte(key))), nil
}

func main() { http.ListenAndServe(":8080", nil) }
"""

# What only some files need, prepared after the first analyses rather than before them:
# the patterns gated on `async` are a second compilation of the fused query (~10 ms).
_PYTHON_ASYNC = b"""\
async def main(tasks):
    run(tasks)
"""

SAMPLES: dict[str, bytes] = {
    "python": _PYTHON,
    "javascript": _JAVASCRIPT,
    "typescript": _JAVASCRIPT,
    "tsx": _JAVASCRIPT,
    "go": _GO,
}

LATER_SAMPLES: dict[str, bytes] = {"python": _PYTHON_ASYNC}

# An edit inside a function of each sample (old text -> new text): the incremental
# analysis of a keystroke has first-use work of its own (queries that regional checks
# compile: ~2 ms on Python), which no full analysis reaches.
EDITS: dict[str, tuple[bytes, bytes]] = {
    "python": (b"return walk(n)", b"return walk(n + 1)"),
    "javascript": (b"return walk(n)", b"return walk(n + 1)"),
    "typescript": (b"return walk(n)", b"return walk(n + 1)"),
    "tsx": (b"return walk(n)", b"return walk(n + 1)"),
    "go": (b'":8080"', b'":8081"'),
}

_lock = threading.Lock()
_prepared: dict[tuple[str, RuleOptions, str], threading.Event] = {}


def is_prepared(language: LanguageSpec, options: RuleOptions) -> bool:
    """Whether `prepare` has finished for `language` and `options` in this process."""
    done = _prepared.get((language.name, options, "first"))
    return done is not None and done.is_set()


def prepare(language: LanguageSpec, options: RuleOptions, *, later: bool = False) -> bool:
    """Make the next analysis of `language` with `options` cost what a warm one does
    (`later`: also for the files that need more, such as Python's `async` patterns).

    Returns True if this call did the work, False if it was done (or being done, in
    which case it waits for it) already, or there is nothing more to do.
    """
    if later:
        sample = LATER_SAMPLES.get(language.name)
        return sample is not None and _once(language, options, "later", sample)
    return _once(language, options, "first", SAMPLES.get(language.name, b"\n"))


def prepare_keystrokes(language: LanguageSpec, options: RuleOptions) -> bool:
    """Make the incremental analysis of the next edit cost what a warm one does (for the
    language server; `check` never edits). Returns as `prepare`."""
    edit = EDITS.get(language.name)
    return edit is not None and _once(language, options, "edits", SAMPLES[language.name], edit)


def _once(
    language: LanguageSpec,
    options: RuleOptions,
    stage: str,
    sample: bytes,
    edit: tuple[bytes, bytes] | None = None,
) -> bool:
    """Analyse `sample` (then, with `edit`, its edited text incrementally), once per
    (language, options, stage) per process; True if this call did it."""
    key = (language.name, options, stage)
    with _lock:
        done = _prepared.get(key)
        if done is None:
            done = _prepared[key] = threading.Event()
            mine = True
        else:
            mine = False
    if not mine:
        done.wait()
        return False
    try:
        from lantern.analysis.engine import analyse_document

        tree = parse(language, sample)
        analysis = analyse_document(language, sample, tree, options)
        if edit is not None:
            edited, tree = _edited(language, sample, tree, *edit)
            analyse_document(language, edited, tree, options, analysis)
    except Exception:  # a warm-up must never be what breaks the server
        log.exception("warming up the %s analysis failed", language.name)
    finally:
        done.set()
    return True


def _edited(
    language: LanguageSpec, source: bytes, tree: Tree, old: bytes, new: bytes
) -> tuple[bytes, Tree]:
    """`source` with its first `old` replaced by `new`, parsed incrementally from `tree`
    (an edit within one line, as a keystroke's)."""
    start = source.index(old)
    row = source.count(b"\n", 0, start)
    column = start - (source.rfind(b"\n", 0, start) + 1)
    tree.edit(
        start,
        start + len(old),
        start + len(new),
        (row, column),
        (row, column + len(old)),
        (row, column + len(new)),
    )
    edited = source[:start] + new + source[start + len(old) :]
    return edited, parse(language, edited, tree)


# Folders a workspace scan does not enter: dependencies, builds, caches, VCS data.
_SKIPPED = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", "build", "dist",
     ".mypy_cache", ".pytest_cache", ".tox", "target", "vendor", ".next"}
)  # fmt: skip


def languages_in(folder: Path, limit: int = 2_000) -> list[LanguageSpec]:
    """The languages of the first `limit` files under `folder` (skipping dependency and
    build folders), most frequent first; [] if it cannot be read."""
    counts: dict[str, int] = {}
    specs: dict[str, LanguageSpec] = {}
    seen = 0
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIPPED and not d.startswith(".")]
        for name in files:
            seen += 1
            spec = detect_language(name)
            if spec is not None and spec.name in SAMPLES:
                counts[spec.name] = counts.get(spec.name, 0) + 1
                specs[spec.name] = spec
        if seen >= limit:
            break
    return [specs[name] for name in sorted(counts, key=lambda n: -counts[n])]
