"""Warm-up: analysis's one-time costs paid once per (language, options) per process,
by whoever asks first; the workspace's languages found without reading dependencies."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lantern.analysis import warmup
from lantern.analysis.context import RuleOptions, compiled_query
from lantern.analysis.engine import analyse, analyse_document
from lantern.analysis.languages import LANGUAGES, language_named, parse


def _fresh_options() -> RuleOptions:
    # Options no other test uses, so this process has not prepared them yet.
    return RuleOptions(complexity_threshold=10_000 + threading.get_ident() % 1000)


def test_the_second_preparation_does_nothing():
    python = language_named("python")
    options = _fresh_options()
    assert warmup.prepare(python, options) is True
    assert warmup.prepare(python, options) is False


def test_concurrent_callers_do_the_work_once_and_all_return_prepared(monkeypatch):
    python = language_named("python")
    options = RuleOptions(complexity_threshold=20_001)
    calls = []
    release = threading.Event()
    original = warmup.parse

    def slow_parse(*args):
        calls.append(1)
        release.wait(5)
        return original(*args)

    monkeypatch.setattr(warmup, "parse", slow_parse)
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(warmup.prepare(python, options)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False, False, True]
    assert len(calls) == 1


@pytest.mark.parametrize("spec", LANGUAGES, ids=lambda s: s.name)
def test_every_language_prepares_without_error_and_analyses_the_same(spec, caplog):
    options = RuleOptions(max_nesting_depth=40)
    source = warmup.SAMPLES.get(spec.name, b"x\n")
    before = analyse(spec, source, parse(spec, source), options)
    warmup.prepare(spec, options)
    assert "failed" not in caplog.text
    assert analyse(spec, source, parse(spec, source), options) == before


def test_workspace_languages_skip_dependencies_and_come_most_frequent_first(tmp_path: Path):
    (tmp_path / "src").mkdir()
    for name in ("a.py", "b.py", "c.go"):
        (tmp_path / "src" / name).write_text("")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    for index in range(5):
        (tmp_path / "node_modules" / "x" / f"{index}.js").write_text("")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.ts").write_text("")
    found = [spec.name for spec in warmup.languages_in(tmp_path)]
    assert found == ["python", "go"]


def test_an_unreadable_workspace_has_no_languages(tmp_path: Path):
    assert warmup.languages_in(tmp_path / "missing") == []


def test_default_settings_give_the_options_warmed_up_before_settings_load():
    """On `initialized` the settings are not loaded yet, so the warm-up prepares the
    default options: they must be what default settings give, or it prepares in vain."""
    from lantern.analysis.engine import rule_options
    from lantern.config import Settings

    assert rule_options(Settings().rules) == rule_options(None) == RuleOptions()


@pytest.mark.parametrize("later", [False, True])
def test_what_only_async_files_need_is_prepared_later(monkeypatch, later: bool):
    """The first preparation leaves out the query only files with `async` need (it would
    delay the first diagnostics of the others); the later one compiles it."""
    from lantern.analysis import engine

    python = language_named("python")
    options = RuleOptions(complexity_threshold=20_000 + int(later))
    warmup.prepare(python, options)
    if later:
        assert warmup.prepare(python, options, later=True) is True
    compiled: list[str] = []
    original = engine.Query
    monkeypatch.setattr(engine, "Query", lambda *args: compiled.append(args[1]) or original(*args))
    source = b"async def main(tasks):\n    run(tasks)\n"
    analyse(python, source, parse(python, source), options)
    assert bool(compiled) is not later


@pytest.mark.parametrize("name", ["python", "javascript"])
def test_a_language_prepared_for_keystrokes_compiles_nothing_on_the_first_one(name):
    # The incremental analysis of an edit inside a function (what typing costs) has
    # queries of its own, which a full analysis never reaches.
    spec = language_named(name)
    options = _fresh_options()
    warmup.prepare(spec, options)
    assert warmup.prepare_keystrokes(spec, options) is True
    source = warmup.SAMPLES[name]
    tree = parse(spec, source)
    first = analyse_document(spec, source, tree, options)
    edited, tree = warmup._edited(spec, source, tree, b"return walk(n)", b"return walk(n * 3)")
    compiled = compiled_query.cache_info().misses
    again = analyse_document(spec, edited, tree, options, first)
    assert again.reanalysed  # the incremental path, not a second full analysis
    assert compiled_query.cache_info().misses == compiled
