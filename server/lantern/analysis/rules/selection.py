"""Which rules run: ruff-like selection over rule codes and code prefixes.

- `select` restricts: when it is non-empty, only the rules it names run (`ALL` names
  every rule); when empty, the default set runs (every stable, default-on rule).
- `extend_select` adds rules to whichever set `select` gave.
- `ignore` removes rules. Where a selecting and an ignoring entry both match a rule, the
  longer (more specific) one wins; on a tie, `ignore` wins.
- Preview rules (precision on real code not yet proven) run only with `preview` on, or
  when selected by their full code (`LB213`, not `LB` or `ALL`).

Unknown codes are reported by name with the closest valid code. This module imports
only the declarations (no grammar), so the settings model can validate with it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import cache
from typing import Protocol

from lantern.analysis.rules.model import Rule

# Codes that are not rules but can be selected, ignored or given a severity.
_PSEUDO_CODES = ("SYNTAX",)


class Selection(Protocol):
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    preview: bool


def _normal(entry: str) -> str:
    return entry.strip().upper()


def longest_prefix(code: str, prefixes: Sequence[str]) -> int:
    """Length of the longest of `prefixes` that `code` starts with (`ALL`: 0); -1: none."""
    best = -1
    for prefix in prefixes:
        normal = _normal(prefix)
        if normal in ("ALL", ""):
            best = max(best, 0)
        elif code.startswith(normal):
            best = max(best, len(normal))
    return best


def is_enabled(rule: Rule, options: Selection) -> bool:
    """Does `rule` run under `options`? (See the module docstring for the semantics.)"""
    chosen = longest_prefix(rule.code, (*options.select, *options.extend_select))
    if not options.select and rule.default_enabled:
        chosen = max(chosen, 0)  # the default set, as if selected by `ALL`
    if chosen < 0 or chosen <= longest_prefix(rule.code, options.ignore):
        return False
    if rule.preview and not options.preview:
        explicit = {_normal(e) for e in (*options.select, *options.extend_select)}
        return rule.code in explicit
    return True


@cache
def _codes() -> tuple[str, ...]:
    from lantern.analysis.rules.declarations import RULES

    return tuple(sorted(rule.code for rule in RULES))


def unknown_code(entry: str) -> str | None:
    """None when `entry` is `ALL`, a rule code or a prefix of one; otherwise a message
    naming it and the closest valid code."""
    normal = _normal(entry)
    if normal == "ALL" or normal in _PSEUDO_CODES:
        return None
    if normal and any(code.startswith(normal) for code in _codes()):
        return None
    prefixes = sorted({code[:2] for code in _codes()})
    close = difflib.get_close_matches(normal, [*_codes(), *prefixes, "ALL"], n=1, cutoff=0.4)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return f"unknown rule code `{entry}`{hint}"
