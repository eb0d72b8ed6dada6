"""The rule model: what a rule is, what its checks report, and what a fix edits.

A rule is declared once (code, category, severity, documentation) and implemented per
language by checks: a tree-sitter query plus a Python predicate over each match that
yields `Hit`s. Rules never raise into the engine (it isolates each check) and never see
LSP types: ranges and edits are UTF-8 byte offsets into the source.

Code scheme: `L` + category letter + three digits. S = security, B = likely bug,
P = performance, C = complexity. The digits are stable forever; a retired rule's code
is never reused. The same concept in several languages shares one code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from lantern.analysis.findings import Severity

if TYPE_CHECKING:
    from tree_sitter import Node

    from lantern.analysis.context import FileContext

# Language groups: a check written for JavaScript also runs on TypeScript and TSX,
# whose grammars share the JavaScript node types the checks rely on.
PYTHON = ("python",)
JAVASCRIPT = ("javascript", "typescript", "tsx")
GO = ("go",)


class Category(StrEnum):
    SECURITY = "security"
    BUG = "bug"
    PERFORMANCE = "performance"
    COMPLEXITY = "complexity"
    STYLE = "style"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace source bytes [start, end) with `text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A deterministic fix. Safe fixes keep the program's meaning and go into fix-all."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool

    def to_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "safe": self.safe,
            "edits": [[edit.start, edit.end, edit.text] for edit in self.edits],
        }

    @staticmethod
    def from_data(data: Any) -> Fix | None:
        """The inverse of `to_data`; None for anything malformed."""
        try:
            edits = tuple(Edit(int(s), int(e), str(t)) for s, e, t in data["edits"])
            return Fix(str(data["title"]), edits, bool(data["safe"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Hit:
    """One problem a check found: where (bytes), what to say, and optionally a fix."""

    start: int
    end: int
    message: str
    fix: Fix | None = None

    @staticmethod
    def at(node: Node, message: str, fix: Fix | None = None) -> Hit:
        return Hit(node.start_byte, node.end_byte, message, fix)


CheckFunction = Callable[["FileContext", dict[str, list["Node"]]], Iterable[Hit]]

# Per language family, the file-wide facts that checks read beyond the function they
# look at (import aliases, which functions are async...). The engine re-analyses the
# whole file when one of them changes, so incremental results stay exact.
FILE_FACTS: dict[str, list[Callable[[FileContext], Any]]] = {}


def file_fact(
    family: str,
) -> Callable[[Callable[[FileContext], Any]], Callable[[FileContext], Any]]:
    """Decorator: register a comparable file-wide fact for `family`."""

    def register(function: Callable[[FileContext], Any]) -> Callable[[FileContext], Any]:
        FILE_FACTS.setdefault(family, []).append(function)
        return function

    return register


@dataclass(frozen=True, slots=True)
class FactsByStatement:
    """A family's file facts as the combination of what each top-level statement
    contributes, which depends on that statement's text alone (in a tree without
    errors): an incremental analysis derives again only the statements that changed.

    `parts(ctx, statements)` gives what each of the statements contributes (plain data),
    from one traversal of the range they span; `combine(parts)` gives, for the parts of
    every statement in file order, the family's interface (equal to what its
    `file_fact` functions return) and the memo entries those facts are kept under, so
    that the checks find them without a traversal of the whole file.
    """

    parts: Callable[[FileContext, list[Node]], list[Any]]
    combine: Callable[[list[Any]], tuple[tuple[object, ...], dict[Any, Any]]]


FACTS_BY_STATEMENT: dict[str, FactsByStatement] = {}


@dataclass(frozen=True, slots=True)
class GatheredFact:
    """A fact that regional checks read (`query` = ""), gathered from the matches of
    `query` during the engine's one traversal of the tree instead of a traversal of its
    own (each costs a walk of every node). After the traversal the engine memoises
    `build(ctx, matches)` (the captures of each match, in document order) on the
    context under `key(ctx)`, where the fact's own accessor looks first."""

    languages: tuple[str, ...]
    query: str
    key: Callable[[FileContext], Any]
    build: Callable[[FileContext, list[dict[str, list[Node]]]], Any]


GATHERED_FACTS: list[GatheredFact] = []


@dataclass(frozen=True, slots=True)
class Check:
    """One language's implementation of a rule: a query and a predicate over its matches.

    An empty query means the function is called once per analysed region with no
    captures; it then works from facts memoised on the context (`ctx.region` says where).
    `needs`: text every finding of the check requires in the file (`async` for a missing
    `await` in an `async def`): a file without it is not searched for the check's
    pattern at all (the engine's query for such files leaves the pattern out).
    """

    languages: tuple[str, ...]
    query: str
    function: CheckFunction
    needs: bytes = b""


@dataclass(frozen=True, slots=True)
class Example:
    language: str
    bad: str
    good: str


@dataclass(slots=True)
class Rule:
    code: str
    name: str  # kebab-case, unique: used in docs anchors
    category: Category
    severity: Severity
    summary: str  # one line, for listings and SARIF shortDescription
    rationale: str
    examples: tuple[Example, ...]
    fix: str | None = None  # what the quick fix does ("safe" or "unsafe" is in `fix_safety`)
    fix_safety: str | None = None  # "safe" | "unsafe" | "mixed"
    default_enabled: bool = True
    # Real-code precision not yet proven: off unless `preview` is on or the code is
    # selected explicitly (see `selection`).
    preview: bool = False
    # What the rule deliberately does not report (patterns that look like it and are
    # not), one sentence each; rendered in docs/rules.md.
    not_reported: tuple[str, ...] = ()
    options: str | None = None  # documentation of the settings that tune it
    checks: list[Check] = field(default_factory=list)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages with a check, in a fixed order (Python, JavaScript, ..., Go)."""
        present = {language for check in self.checks for language in check.languages}
        order = (*PYTHON, *JAVASCRIPT, *GO)
        return tuple(sorted(present, key=lambda name: (*order, name).index(name)))

    def check(
        self, languages: tuple[str, ...], query: str, needs: bytes = b""
    ) -> Callable[[CheckFunction], Any]:
        """Decorator: register `fn(ctx, captures)` as this rule's check for `languages`
        (`needs`: see `Check`)."""

        def register(function: CheckFunction) -> CheckFunction:
            self.checks.append(Check(languages, query, function, needs))
            return function

        return register
