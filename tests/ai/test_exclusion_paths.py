"""An excluded file stays excluded however it is named (issue 11 case 06): relative,
absolute, `file:` URI, through a symlink, with `..`, in another case where the file
system ignores case. Both `.lanternignore` and `ai.exclude` are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.ai import privacy
from lantern.ai.errors import Excluded
from lantern.ai.privacy import Exclusions
from tests.ai.conftest import provider


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "my work"  # a space: URIs percent-encode it
    (root / "private").mkdir(parents=True)
    (root / "vendor").mkdir()
    (root / "public").mkdir()
    (root / ".lanternignore").write_text("private/\n")
    (root / "private" / "creds.py").write_text('NOTE = "internal only"\n')
    (root / "vendor" / "lib.py").write_text("x = 1\n")
    (root / "public" / "ok.py").write_text("y = 2\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "alias.py").symlink_to(root / "private" / "creds.py")
    (root / "public" / "link.py").symlink_to(root / "private" / "creds.py")
    (root / "loop.py").symlink_to(root / "loop.py")
    monkeypatch.chdir(elsewhere)  # the server's working directory is not the workspace
    return root


NAMES = {
    "relative": lambda root: "private/creds.py",
    "relative with ./": lambda root: "./private/creds.py",
    "absolute": lambda root: str(root / "private" / "creds.py"),
    "file URI": lambda root: (root / "private" / "creds.py").as_uri(),
    "with ..": lambda root: str(root / "public" / ".." / "private" / "creds.py"),
    "relative with ..": lambda root: "public/../private/creds.py",
    "symlink from outside": lambda root: str(root.parent / "elsewhere" / "alias.py"),
    "symlink inside": lambda root: "public/link.py",
}


@pytest.mark.parametrize("how", sorted(NAMES))
def test_lanternignore_holds_for_every_way_of_naming_a_file(workspace: Path, how: str):
    reason = Exclusions([], workspace).reason(NAMES[how](workspace))
    assert reason is not None and ".lanternignore" in reason


@pytest.mark.parametrize("name", ["vendor/lib.py", "./vendor/lib.py", "public/../vendor/lib.py"])
def test_configured_exclusions_hold_for_relative_names(workspace: Path, name: str):
    assert Exclusions(["vendor/**"], workspace).reason(name) is not None
    assert Exclusions(["vendor/**"], workspace).reason((workspace / name).as_uri()) is not None


def test_other_files_are_not_excluded_and_a_symlink_loop_does_not_raise(workspace: Path):
    exclusions = Exclusions([], workspace)
    assert exclusions.reason("public/ok.py") is None
    assert exclusions.reason((workspace / "public" / "ok.py").as_uri()) is None
    assert exclusions.reason("loop.py") is None


def test_case_is_ignored_where_the_file_system_ignores_it(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(privacy, "case_insensitive", lambda directory: True)
    exclusions = Exclusions(["Vendor/**"], workspace)
    assert exclusions.reason("PRIVATE/Creds.py") is not None
    assert exclusions.reason("vendor/LIB.py") is not None
    monkeypatch.setattr(privacy, "case_insensitive", lambda directory: False)
    assert Exclusions([], workspace).reason("PRIVATE/Creds.py") is None


async def test_a_relative_name_is_never_sent(workspace: Path, openai_server, make_service):
    service = make_service(provider(openai_server), workspace=workspace)
    source = (workspace / "private" / "creds.py").read_text()
    for name in NAMES.values():
        result = await service.explain(name(workspace), source, 1, 1)
        assert isinstance(result, Excluded), result
    assert openai_server.requests == []
