"""What the docs and editor examples show exists: rule codes, and settings examples that
load without a warning (item 13 of issue 10)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lantern.analysis.rules import catalogue, rule_by_code
from lantern.config import load_settings, lsp_layer

ROOT = Path(__file__).parents[2]
CODE = re.compile(r"\b([A-Z]{2,4}\d{3})\b")  # anything that looks like a rule code
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "client-vscode" / "README.md",
        ROOT / "client-vscode" / "package.json",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "docs" / "editors").rglob("*.*"),
        *(p for p in (ROOT / "examples").rglob("*") if p.is_file()),
    ]
)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_code_shown_exists(path: Path):
    text = path.read_text(encoding="utf-8", errors="replace")
    unknown = sorted({code for code in CODE.findall(text) if rule_by_code(code) is None})
    assert unknown == [], f"{path.relative_to(ROOT)} names rule codes that do not exist"


def test_the_codes_are_checked_at_all():
    shown = {code for path in DOCUMENTS for code in CODE.findall(path.read_text("utf-8"))}
    assert {"LS101", "LB204"} <= shown and len(list(catalogue())) > 20


def vscode_settings_example() -> dict[str, object]:
    readme = (ROOT / "client-vscode" / "README.md").read_text()
    (block,) = re.findall(r"```jsonc\n(.*?)```", readme, re.DOTALL)
    return json.loads(re.sub(r"\s//[^\n]*", "", block))


def test_the_vscode_readme_settings_example_loads_without_a_warning():
    client_only = re.search(
        r"CLIENT_ONLY_SETTINGS = \[(.*?)\]", (ROOT / "client-vscode/src/settings.ts").read_text()
    )
    assert client_only is not None
    skipped = {f"lantern.{name}" for name in re.findall(r'"([^"]+)"', client_only.group(1))}
    section: dict[str, object] = {}
    for key, value in vscode_settings_example().items():
        if key in skipped:
            continue
        *parents, name = key.removeprefix("lantern.").split(".")
        target = section
        for part in parents:
            target = target.setdefault(part, {})  # type: ignore[assignment]
        target[name] = value
    settings, warnings = load_settings([lsp_layer("workspace/configuration", section)], env={})
    assert warnings == []
    for code in [*settings.rules.ignore, *settings.rules.select, *settings.rules.severity]:
        assert any(rule.code.startswith(code) for rule in catalogue()), code
