"""Local items: identifiers from the tree (not from strings or comments), keywords from
the grammar, filtered by the word being typed."""

from __future__ import annotations

from lantern.analysis.languages import language_named, parse
from lantern.completion.local import ItemKind, LocalItem, grammar_keywords, local_items

PYTHON = '''import os


def compute_total(items):
    """Counts every coconut."""
    subtotal = 0  # cocoa
    for item in items:
        subtotal += item.price
    return subtotal

co
'''


def items(language: str, text: str, word: str, **kwargs: int) -> tuple[list[LocalItem], bool]:
    spec = language_named(language)
    assert spec is not None
    source = text.encode()
    return local_items(spec, parse(spec, source), source, word, **kwargs)


def test_identifiers_then_keywords_starting_like_the_word() -> None:
    found, cut = items("python", PYTHON, "co")
    assert found == [
        LocalItem("compute_total", ItemKind.IDENTIFIER),
        LocalItem("continue", ItemKind.KEYWORD),
    ]
    assert not cut


def test_words_in_strings_and_comments_are_not_identifiers() -> None:
    labels = {item.label for item in items("python", PYTHON, "")[0]}
    assert {"os", "compute_total", "items", "subtotal", "item", "price"} <= labels
    assert not {"coconut", "cocoa", "Counts"} & labels


def test_matching_ignores_case_and_the_limit_reports_a_cut() -> None:
    found, _ = items("python", PYTHON, "SUB")
    assert [item.label for item in found] == ["subtotal"]
    found, cut = items("python", PYTHON, "", limit=3)
    assert len(found) == 3 and cut


def test_javascript_properties_and_keywords() -> None:
    text = "const user = {name: 'a'};\nuser.nickname = user.name;\nn\n"
    found, _ = items("javascript", text, "n")
    assert [item.label for item in found] == ["name", "nickname", "new"]


def test_grammar_keywords_leave_out_internal_tokens() -> None:
    rust = language_named("rust")
    assert rust is not None
    keywords = grammar_keywords(rust.grammar)
    assert {"fn", "impl", "match"} <= set(keywords)
    assert "expr_2021" not in keywords and "_" not in keywords


def test_an_unknown_language_has_no_items() -> None:
    assert local_items(None, None, b"anything", "a") == ([], False)
