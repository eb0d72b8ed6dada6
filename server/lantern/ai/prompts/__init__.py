"""Versioned prompt templates, one file per task, shipped as package data.

A template file starts with `version: N`, then `--- system` and `--- user` sections
using `$name` placeholders. The version and the rendered text are part of every cache
key, so editing a template never serves answers written for the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from lantern.config import Task

_SECTION = re.compile(r"^--- (system|user)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    task: Task
    version: int
    system: Template
    user: Template

    def render(self, **values: object) -> list[dict[str, str]]:
        """Chat messages; a missing value is a bug and raises KeyError."""
        text = {key: str(value) for key, value in values.items()}
        return [
            {"role": "system", "content": self.system.substitute(text).strip()},
            {"role": "user", "content": self.user.substitute(text).strip()},
        ]


@cache
def template(task: Task, name: str | None = None) -> PromptTemplate:
    """The template `name` (default: the task's own) for `task`."""
    file = f"{name or task}.txt"
    source = resources.files(__package__).joinpath(file).read_text(encoding="utf-8")
    header, _, rest = source.partition("\n")
    match = re.fullmatch(r"version:\s*(\d+)\s*", header)
    if match is None:
        raise ValueError(f"prompt {file} must start with `version: N`")
    parts = _SECTION.split(rest)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    return PromptTemplate(
        task, int(match.group(1)), Template(sections["system"]), Template(sections["user"])
    )
