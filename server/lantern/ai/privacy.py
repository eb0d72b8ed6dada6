"""What may leave the process: file exclusions and secret redaction.

Excluded files (built-in globs, `ai.exclude`, `exclude`, `.lanternignore`) are never
sent. Secrets found in text are swapped for placeholders before a prompt is built and
swapped back only in code that returns to the editor. Nothing here does network I/O.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.env",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "credentials.json",
    ".aws/credentials",
)
IGNORE_FILE = ".lanternignore"

log = logging.getLogger(__name__)


def path_of(path_or_uri: str | os.PathLike[str]) -> Path:
    """A filesystem path from a path or a `file:` URI (percent-decoded)."""
    text = os.fspath(path_or_uri)
    if text.startswith("file:"):
        return Path(unquote(urlparse(text).path))
    return Path(text)


def case_insensitive(directory: Path) -> bool:
    """Does the file system holding `directory` ignore case (macOS, Windows)?"""
    swapped = Path(str(directory).swapcase())
    if swapped == directory:
        return os.path.normcase("A") == "a"
    try:
        return os.path.samefile(directory, swapped)
    except OSError:
        return False


class Exclusions:
    """Decides whether a file may be sent to a model.

    Every way of naming a file is normalised once, in `reason`: a `file:` URI is
    decoded, a relative path is taken relative to the workspace root (else the working
    directory), `..` is collapsed, and both the path as named and the file it leads to
    through symlinks are checked: if either is excluded, the file is. On a file system
    that ignores case, so does matching.
    """

    def __init__(self, patterns: Iterable[str] = (), root: str | os.PathLike[str] | None = None):
        import pathspec

        self._pathspec = pathspec
        self.root = _resolved(path_of(root)) if root is not None else None
        self._fold = case_insensitive(self.root or Path.cwd())
        self._builtin = self._spec(DEFAULT_EXCLUDE)
        self._configured = self._spec(list(patterns))
        self._ignore_files: dict[Path, tuple[float, Any]] = {}

    def reason(self, path_or_uri: str | os.PathLike[str]) -> str | None:
        """Why the file must not be sent (the rule that matched), or None if it may be."""
        path = path_of(path_or_uri)
        if not path.is_absolute():
            path = (self.root or Path.cwd()) / path
        named = Path(os.path.normpath(path))  # `..` collapsed, symlinks kept
        for candidate in dict.fromkeys((named, _resolved(named))):
            if (reason := self._reason(candidate)) is not None:
                return reason
        return None

    def _reason(self, path: Path) -> str | None:
        relative = self._relative(path, self.root)
        if self._builtin.match_file(self._folded(relative)):
            return f"{relative} matches a built-in exclusion for secrets"
        if self._configured.match_file(self._folded(relative)):
            return f"{relative} matches `ai.exclude`/`exclude` in the settings"
        for directory in self._directories_with_rules(path):
            spec = self._ignore_spec(directory / IGNORE_FILE)
            if spec is not None and spec.match_file(self._folded(self._relative(path, directory))):
                return f"{relative} is listed in {directory / IGNORE_FILE}"
        return None

    def _spec(self, lines: Iterable[str]) -> Any:
        return self._pathspec.GitIgnoreSpec.from_lines([self._folded(line) for line in lines])

    def _folded(self, text: str) -> str:
        return text.lower() if self._fold else text

    def _relative(self, path: Path, base: Path | None) -> str:
        if base is not None:
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                if self._fold and str(path).lower().startswith(str(base).lower() + os.sep):
                    return path.as_posix()[len(base.as_posix()) + 1 :]
        # Outside any root, match against the whole path (unanchored globs still match).
        return path.as_posix().lstrip("/")

    def _directories_with_rules(self, path: Path) -> list[Path]:
        """The file's directory and its parents up to the root (or `/` without one)."""
        directories = []
        for directory in path.parents:
            directories.append(directory)
            if directory == self.root:
                break
        return directories

    def _ignore_spec(self, file: Path) -> Any:
        try:
            mtime = file.stat().st_mtime
        except OSError:
            return None
        cached = self._ignore_files.get(file)
        if cached is None or cached[0] != mtime:
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return None
            cached = (mtime, self._spec(lines))
            self._ignore_files[file] = cached
        return cached[1]


def _resolved(path: Path) -> Path:
    """`path` with symlinks followed; as named (made absolute) when it cannot be (a loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


# -- secrets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretPattern:
    name: str
    regex: re.Pattern[str]
    group: int = 0  # the part of the match that is the secret
    # Lower-case strings of which every match holds one: a text holding none is not
    # searched (a substring test costs far less than a regex scan; redaction runs on
    # every completion request).
    hints: tuple[str, ...] = ()

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        """Matches in `text`; `lowered` is `text.lower()`, computed once by the caller."""
        if self.hints and not any(hint in lowered for hint in self.hints):
            return iter(())
        return self.regex.finditer(text)


def _p(
    name: str, pattern: str, group: int = 0, flags: int = 0, hints: tuple[str, ...] = ()
) -> SecretPattern:
    return SecretPattern(name, re.compile(pattern, flags), group, hints)


# Most specific first: a private-key block may contain anything the others match.
SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "private key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"|(?:[ \t]*(?:\\n|\r?\n)?[ \t]*[A-Za-z0-9+/=:-]+)+)",  # no END line: its base64 body
        flags=re.DOTALL,
        hints=("-----begin",),
    ),
    _p("bearer token", r"\b[Bb]earer[ \t]+([A-Za-z0-9._~+/-]{8,}=*)", group=1, hints=("bearer",)),
    _p(
        "password in URL",
        r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@",
        group=1,
        hints=("://",),
    ),
    _p("OpenAI-style key", r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{20,}", hints=("sk-",)),
    _p(
        "GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
        hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _p(
        "AWS access key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        hints=("akia", "asia", "abia", "acca"),
    ),
    _p(
        "AWS secret key",
        r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
        hints=("aws",),
    ),
    _p("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", hints=("xox",)),
    _p("Google API key", r"\bAIza[0-9A-Za-z_-]{35}", hints=("aiza",)),
    _p(
        "Stripe key",
        r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}",
        hints=("_live_", "_test_"),
    ),
    _p(
        "JSON web token",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        hints=("eyj",),
    ),
    _p(
        "assigned secret",
        # name, an optional type (`: str`, ` string`), `=`/`:`/`:=`, an optional literal
        # prefix (b, r, f, ...), then a quoted or backquoted value.
        r"(?i)\b[\w-]*(?:passw(?:or)?d|pwd|secret|api_?key|apikey|access_?token|auth_?token"
        r"|private_?key|client_?secret|token)[\w-]*[\"']?(?:\s*:?[ \t]*[\w.\[\]|]+)?"
        r"\s*[:=]{1,2}\s*[bBrRuUfF]{0,2}([\"'`])([^\"'`\n]{6,})\1",
        group=2,
        hints=("passw", "pwd", "secret", "apikey", "api_key", "token", "private_key", "privatekey"),
    ),
    _p(
        "AWS-style secret key",  # 40 characters of base64 with mixed case and a digit
        r"([\"'`])((?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9])"
        r"[A-Za-z0-9/+]{40})\1",
        group=2,
    ),
)

PLACEHOLDER_PREFIX = "__LANTERN_SECRET_"


@dataclass
class Redactor:
    """Replaces secrets with numbered placeholders, consistently across several texts.

    A multi-line secret becomes a placeholder followed by as many newlines as it had, so
    the line numbers shown to the model stay the file's own.
    """

    avoid: str = ""  # the source: not to be mistaken for placeholders, read for secrets
    extra_patterns: Sequence[SecretPattern] = ()
    secrets: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_secret: dict[str, str] = field(default_factory=dict)
    language: str | None = None  # the source's language: its syntax tree names secrets

    def __post_init__(self) -> None:
        # If the text already contains our marker (Lantern's own sources do), pick another.
        self._prefix = PLACEHOLDER_PREFIX
        while self._prefix in self.avoid:
            self._prefix += "X_"
        # Values the syntax tree shows are assigned to a secret's name are hidden wherever
        # they occur, whatever the literal's form (annotated, prefixed, template, typed).
        if self.language is not None and self.avoid:
            for value in secrets_in_code(self.avoid, self.language):
                self._placeholder_for(value)

    @classmethod
    def for_source(cls, source: str, path: str, language: str | None = None) -> Redactor:
        """A redactor for prompts about `source`, the text of the file at `path` (in
        `language`, a name or LSP languageId, else told by the file's extension)."""
        from lantern.analysis.languages import detect_language, language_named

        spec = (language_named(language) if language else None) or detect_language(path, language)
        return cls(avoid=source, language=spec.name if spec is not None else None)

    @property
    def found(self) -> int:
        return len(self.secrets)

    def redact(self, text: str, spans: Iterable[tuple[int, int]] = ()) -> str:
        """`text` with every secret (and every `spans` [start, end) range) replaced."""
        ranges = list(spans)
        # A secret already found elsewhere (say in the file) is hidden wherever it recurs,
        # even in free text no pattern would recognise (a diagnostic, an instruction).
        for secret in self._by_secret:
            start = text.find(secret)
            while start != -1:
                ranges.append((start, start + len(secret)))
                start = text.find(secret, start + len(secret))
        lowered = text.lower()
        for pattern in (*self.extra_patterns, *SECRET_PATTERNS):
            for match in pattern.finditer(text, lowered):
                start, end = match.span(pattern.group)
                # A placeholder from an earlier pass is not a new secret.
                if end > start and self._prefix not in text[start:end]:
                    ranges.append((start, end))
        if not ranges:
            return text
        pieces, position = [], 0
        for start, end in _merge(ranges):
            pieces += [text[position:start], self._placeholder_for(text[start:end])]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def restore(self, text: str) -> str:
        """Put the originals back into code the model returned."""
        if not self.secrets:
            return text
        # A multi-line secret was followed by padding newlines; take back as many as are left.
        pattern = re.compile(
            "|".join(
                re.escape(placeholder) + f"\\n{{0,{original.count(chr(10))}}}"
                for placeholder, original in self.secrets.items()
            )
        )
        return pattern.sub(lambda match: self.secrets[match.group(0).rstrip("\n")], text)

    def mask(self, text: str, replacement: str = "«secret»") -> str:
        """Replace placeholders with a neutral mark, for text shown but not applied."""
        return re.sub(re.escape(self._prefix) + r"\d+__", replacement, text)

    def _placeholder_for(self, secret: str) -> str:
        if (existing := self._by_secret.get(secret)) is not None:
            return existing + "\n" * secret.count("\n")
        placeholder = f"{self._prefix}{len(self.secrets) + 1}__"
        self.secrets[placeholder] = secret
        self._by_secret[secret] = placeholder
        return placeholder + "\n" * secret.count("\n")


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """Remove `known` values (API keys) and anything secret-shaped from a message or log."""
    for value in known:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    redactor = Redactor()
    return redactor.mask(redactor.redact(text), "***")


# -- secrets named by the syntax tree ---------------------------------------------------

# Words in a name (lower case, without `_`/`-`) that say its value is a secret.
_SECRET_WORDS = ("passw", "pwd", "secret", "token", "credential", "authorization",
                 "apikey", "privatekey", "accesskey", "awskey", "signingkey", "encryptionkey",
                 "bearer")  # fmt: skip
# String literal node types per grammar family.
_LITERALS = ("string", "template_string", "interpreted_string_literal", "raw_string_literal",
             "string_literal", "text_block")  # fmt: skip
# Nodes a value may sit in between the literal and its binding (`("a" "b")`, `x, y = ...`).
_WRAPPERS = frozenset(
    {"concatenated_string", "expression_list", "parenthesized_expression", "binary_expression",
     "binary_operator", "as_expression", "satisfies_expression", "non_null_expression",
     "literal_element", "literal_value"}
)  # fmt: skip
# The fields that name what a value is bound to, in every grammar.
_TARGET_FIELDS = ("left", "name", "key", "pattern", "field", "property")
_MIN_SECRET = 4  # shorter values are left alone: they recur everywhere as ordinary words
_OPENING = re.compile(r"(?s)([A-Za-z]*)(#*)(\"\"\"|'''|\"|'|`)")


def names_a_secret(name: str) -> bool:
    """Does an identifier, key or property (any case or separator) name a secret?"""
    normal = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(word in normal for word in _SECRET_WORDS)


# Cheap evidence that some name in a text may name a secret (see `names_a_secret`): a
# text without any is not parsed for bindings, which most files are spared.
_MAYBE_SECRET_NAME = re.compile(
    r"passw|pwd|secret|token|credential|authorization|bearer"
    r"|(?:api|private|access|aws|signing|encryption)[^a-z0-9]{0,3}key"
)


def secrets_in_code(source: str, language: str) -> list[str]:
    """See `_secrets_in_code`; memoised, since a review or an explanation asks for the
    same file's several times (each batch of units makes a redactor)."""
    if _MAYBE_SECRET_NAME.search(source.lower()) is None:
        return []
    return list(_secrets_in_code(source, language))


@lru_cache(maxsize=8)
def _secrets_in_code(source: str, language: str) -> tuple[str, ...]:
    """The values of string literals bound to a secret's name in `source`: assignments
    (annotated, typed, augmented), declarations, keyword and default arguments, dict
    entries, object properties, struct fields, in every supported language.

    Never raises: a language without a grammar or an unparsable text gives [].
    """
    try:
        from tree_sitter import QueryCursor

        from lantern.analysis.context import compiled_query
        from lantern.analysis.languages import detect_language, language_named, parse

        spec = language_named(language) or detect_language("", language)
        if spec is None:
            return ()
        grammar = spec.grammar
        kinds = [kind for kind in _LITERALS if grammar.id_for_node_kind(kind, True)]
        if not kinds:
            return ()
        tree = parse(spec, source.encode("utf-8", "surrogatepass"))
        query = compiled_query(spec, "[" + " ".join(f"({kind})" for kind in kinds) + "] @s")
        literals = QueryCursor(query).captures(tree.root_node).get("s", [])
    except Exception:
        log.debug("no syntax tree for %s: secrets are found by their shape only", language)
        return ()
    values = []
    for literal in literals:
        target = _binding_target(literal)
        if target is None or not names_a_secret(target):
            continue
        value = _literal_content((literal.text or b"").decode("utf-8", "surrogatepass"))
        if len(value.strip()) >= _MIN_SECRET:
            values.append(value)
    return tuple(values)


def _binding_target(literal: Any) -> str | None:
    """The text of the name `literal` is bound to, if it is the value of a binding."""
    node, parent = literal, literal.parent
    for _ in range(6):
        if parent is None:
            return None
        if parent.type in _LITERALS:
            node, parent = parent, parent.parent  # a piece of a concatenation or f-string
            continue
        if parent.type == "keyed_element":  # Go: `Key: value` in a composite literal
            first = parent.named_children[0] if parent.named_child_count else None
            if first is not None and first.end_byte <= node.start_byte:
                return (first.text or b"").decode("utf-8", "replace")
            return None
        for name in _TARGET_FIELDS:
            target = parent.child_by_field_name(name)
            if target is not None and target.end_byte <= node.start_byte:
                return (target.text or b"").decode("utf-8", "replace")
        if parent.type not in _WRAPPERS:
            return None
        node, parent = parent, parent.parent
    return None


def _literal_content(text: str) -> str:
    """The characters between a literal's delimiters (`b"x"`, `r#"x"#`, `` `x` ``, ...)."""
    opening = _OPENING.match(text)
    if opening is None:
        return text
    closing = opening.group(3) + opening.group(2)
    end = len(text) - len(closing) if text.endswith(closing) else len(text)
    return text[opening.end() : max(end, opening.end())]
