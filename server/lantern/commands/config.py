"""Show the effective configuration, or the reference of every setting.

`lantern config show` prints the settings that apply in the current folder (and any
warning about them); `lantern config reference` prints docs/configuration.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lantern.config import Settings, file_layers, load_settings

INTRO = """\
# Configuration reference

Generated from `lantern/config.py` by `lantern config reference`; do not edit by hand.

Settings can be written in `$XDG_CONFIG_HOME/lantern/config.toml` (or the file named by
`LANTERN_CONFIG`), in a project's `pyproject.toml` under `[tool.lantern]` or its
`lantern.toml`, in the editor's `initializationOptions`, or in its `lantern` settings
section (per workspace folder), each overriding the one before. A file takes its project
settings from the nearest folder above it that has a `lantern.toml` or a `pyproject.toml`
with a `[tool.lantern]` table (both, if both are there: `lantern.toml` wins), the same in
the editor and in `lantern check`, whatever folder it is started from. Keys may be
written snake_case, camelCase or kebab-case. An invalid or unknown key, a value of the
wrong shape (`ai = false`), a TOML syntax error (with its file and line) and a
`LANTERN_CONFIG` naming no file are reported once; the default is used instead.

Environment variables: `LANTERN_CONFIG` (a config file), `LANTERN_CACHE_DIR` (sets
`cache.dir`), and `LANTERN_AI_BASE_URL` + `LANTERN_AI_MODEL` (+ `LANTERN_AI_API_KEY`), which
define a provider named `env`, placed first in `ai.providers`. Run `lantern config show`
to see the settings in effect in a folder.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("show", "reference"))


def run(args: argparse.Namespace) -> int:
    if args.action == "reference":
        sys.stdout.write(reference())
        return 0
    settings, warnings = load_settings(file_layers(Path.cwd()))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(settings.model_dump(mode="json"), indent=2))
    return 0


def reference() -> str:
    lines = [INTRO]
    _section(Settings, "", lines)
    lines += _preview_rules()
    return "\n".join(lines) + "\n"


def _preview_rules() -> list[str]:
    """The rules `rules.preview` turns on (declarations only: no grammar is loaded)."""
    from lantern.analysis.rules.declarations import RULES

    lines = [
        "## Preview rules",
        "",
        "Off by default; on with `rules.preview = true` (`lantern check --preview`), or when "
        "selected by full code. See docs/rules.md for what each finds and does not.",
        "",
        "| code | name | summary |",
        "|---|---|---|",
    ]
    for rule in sorted(RULES, key=lambda rule: rule.code):
        if rule.preview:
            lines.append(f"| {rule.code} | {rule.name} | {rule.summary} |")
    return [*lines, ""]


def _section(model: type[BaseModel], prefix: str, lines: list[str]) -> None:
    rows, nested = [], []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = _model(field.annotation)
        if sub is not None and not _is_list(field.annotation):
            nested.append((key, sub))
            continue
        if field.is_required():
            shown = "required"
        else:
            default = field.get_default(call_default_factory=True)
            if isinstance(default, BaseModel):
                default = default.model_dump(mode="json")
            shown = f"`{json.dumps(default, default=str)}`"
        rows.append(
            f"| `{key}` | {_type_name(field.annotation)} | {shown} | {field.description or ''} |"
        )
    lines += [f"## `{prefix.rstrip('.')}`" if prefix else "## Top level", ""]
    if doc := " ".join((model.__doc__ or "").split()):
        lines += [doc, ""]
    if rows:
        lines += ["| key | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    for key, sub in nested:
        _section(sub, f"{key}.", lines)
    for name, field in model.model_fields.items():
        sub = _model(field.annotation)
        if sub is not None and _is_list(field.annotation):
            _section(sub, f"{prefix}{name}[].", lines)


def _model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # a validated type (rule codes): name the base type
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(arg) for arg in typing.get_args(annotation))
        return f"{origin.__name__}[{args}]"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))
