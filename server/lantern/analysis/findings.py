"""Findings: what analysis reports, as plain data that knows nothing of LSP.

A finding's location is a half-open range of UTF-8 byte offsets into the source the
tree was parsed from; the protocol edge and the CLI convert it with `lantern.positions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"

    @property
    def rank(self) -> int:
        """Lower is more severe, as in LSP's DiagnosticSeverity (1 = error)."""
        return _RANK[self]


_RANK = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFORMATION: 3, Severity.HINT: 4}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # stable rule code, e.g. "syntax"
    message: str
    severity: Severity
    start_byte: int
    end_byte: int
    category: str = "syntax"  # security | bug | performance | complexity | style | syntax
    source: str = "lantern"
    data: dict[str, Any] | None = field(default=None, compare=False)

    def shifted(self, delta: int) -> Finding:
        """The same finding moved by `delta` bytes (after an edit above it)."""
        return replace(self, start_byte=self.start_byte + delta, end_byte=self.end_byte + delta)


NOTICE = "lantern"  # the code of a notice about the analysis itself, not about the code


def notice(message: str) -> Finding:
    """An information at the top of the file about the analysis (stopped, skipped)."""
    return Finding(NOTICE, message, Severity.INFORMATION, 0, 0, category="notice")
