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


TEXT_SUFFIXES = {".md", ".ts", ".py", ".lua", ".el", ".json", ".toml", ".rs", ".sh", ""}
INSTALL_FROM_AN_INDEX = re.compile(
    r"(pipx?|uv pip|uv tool)\s+install\s+(-U\s+|--upgrade\s+)?lantern-lsp\b"
)
EVERYWHERE = sorted(
    p
    for folder in (
        "docs",
        "client-vscode/src",
        "client-vscode/README.md",
        "server",
        "README.md",
        "client-vscode/package.json",
        "examples",
    )
    for p in ([ROOT / folder] if (ROOT / folder).is_file() else (ROOT / folder).rglob("*"))
    if p.is_file() and p.suffix in TEXT_SUFFIXES
)


def test_no_instruction_installs_lantern_from_a_package_index():
    """`lantern-lsp` is on no index: every install hint names a checkout or a wheel."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in EVERYWHERE
        if INSTALL_FROM_AN_INDEX.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
    assert len(EVERYWHERE) > 50


def test_the_install_guide_says_where_lantern_comes_from():
    guide = (ROOT / "docs" / "editors.md").read_text()
    section = guide[guide.index("## 1. Install the server") : guide.index("## 2.")]
    assert "not on PyPI" in section
    assert "pipx install /path/to/lantern" in section
    assert "pip install /path/to/lantern" in section and "python3-venv" in section
