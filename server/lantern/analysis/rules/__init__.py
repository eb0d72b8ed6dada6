"""The rule catalogue: every rule Lantern knows, with its checks for each language.

Rules are declared in `catalogue` (code, category, severity, documentation) and
implemented per language in the sibling modules, which attach checks to them.
"""

from __future__ import annotations

from functools import cache

from lantern.analysis.rules.model import Rule


@cache
def catalogue() -> tuple[Rule, ...]:
    """Every rule, sorted by code, with all language checks attached."""
    from lantern.analysis.rules import (  # noqa: F401  (importing attaches the checks)
        complexity,
        go,
        javascript,
        python,
        python_unbound,
        secrets,
    )
    from lantern.analysis.rules.declarations import RULES

    return tuple(sorted(RULES, key=lambda rule: rule.code))


def rule_by_code(code: str) -> Rule | None:
    return next((rule for rule in catalogue() if rule.code == code), None)
