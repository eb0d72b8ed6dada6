"""Worst-case inputs for the analysis engine: the shapes that made it quadratic or worse.

Each generator takes a scale `n` (terms, depth, statements) and returns the text of one
file. `cases(scale)` yields (name, file name, text) for every shape in every supported
language. The test suite runs them at a scale that catches super-linear growth within
seconds (tests/unit/test_worst_cases.py); benchmarks/bench_worst_cases.py runs them at
full size (about 2 MB) and prints the time per input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

# language -> (file extension, how one shape is written in it)
_EXTENSIONS = {
    "python": ".py",
    "javascript": ".js",
    "typescript": ".ts",
    "tsx": ".tsx",
    "go": ".go",
    "rust": ".rs",
    "java": ".java",
}


def _wrap(language: str, body: str) -> str:
    """`body` (an expression) placed where the language allows a top-level expression."""
    if language == "python":
        return f"a = {body}\n"
    if language in ("javascript", "typescript", "tsx"):
        return f"const a = {body};\n"
    if language == "go":
        return f"package main\n\nvar a = {body}\n"
    if language == "rust":
        return f"fn main() {{ let a = {body}; }}\n"
    return f"class A {{ Object a = {body}; }}\n"


def binary_chain(language: str, n: int) -> str:
    """`'x' + 'x' + ... == 'y'`: a left-nested binary expression n terms deep."""
    quote = '"' if language in ("go", "rust", "java") else "'"
    return _wrap(language, f"{quote}x{quote} + " * n + f"{quote}y{quote} == {quote}z{quote}")


def nested_calls(language: str, n: int) -> str:
    """`f(f(f(...)))`, n deep."""
    return _wrap(language, "f(" * n + "1" + ")" * n)


def nested_brackets(language: str, n: int) -> str:
    """`[[[...]]]` (or parentheses where lists are not literals), n deep."""
    if language in ("python", "javascript", "typescript", "tsx"):
        return _wrap(language, "[" * n + "1" + "]" * n)
    return _wrap(language, "(" * n + "1" + ")" * n)


def unclosed(language: str, n: int) -> str:
    """n unbalanced `(` and quotes: error recovery over a long run of junk."""
    return _wrap(language, "(" * n) + "'" * n + "\n"


def nested_functions(language: str, n: int) -> str:
    """n functions each defined inside the previous one."""
    if language == "python":
        return "f = " + "lambda: " * n + "eval(x)\n"
    if language in ("javascript", "typescript", "tsx"):
        return "const f = " + "() => " * n + "eval(x);\n"
    if language == "go":
        return "package main\n\nvar f = " + "func() {" * n + "}" * n + "\n"
    if language == "rust":
        return "fn main() { let f = " + "|| " * n + "1; }\n"
    return "class A { Runnable f = " + "() -> " * n + "null; }\n"


def many_findings(language: str, n: int) -> str:
    """n functions, each holding a finding (eval / a hard-coded password / a self-compare)."""
    if language == "python":
        return "".join(f"def f{i}(x):\n    return eval(x) + {i}\n\n" for i in range(n))
    if language in ("javascript", "typescript", "tsx"):
        return "".join(f"function f{i}(x) {{ return eval(x) + {i}; }}\n" for i in range(n))
    if language == "go":
        body = "".join(f"func f{i}(x int) bool {{ return x == x }}\n" for i in range(n))
        return "package main\n\n" + body
    if language == "rust":
        return "".join(f"fn f{i}(x: i32) -> bool {{ x == x }}\n" for i in range(n))
    return (
        "class A {\n"
        + "".join(f"  boolean f{i}(int x) {{ return x == x; }}\n" for i in range(n))
        + "}\n"
    )


def many_statements(language: str, n: int) -> str:
    """n top-level statements binding names that later statements use."""
    if language == "python":
        return "".join(f"x{i} = {i}\ny{i} = x{i} + 1\n" for i in range(n))
    if language in ("javascript", "typescript", "tsx"):
        return "".join(f"let x{i} = {i};\nlet y{i} = x{i} + 1;\n" for i in range(n))
    if language == "go":
        return "package main\n\n" + "".join(
            f"var x{i} = {i}\nvar y{i} = x{i} + 1\n" for i in range(n)
        )
    if language == "rust":
        return "".join(f"const X{i}: i32 = {i};\nconst Y{i}: i32 = X{i} + 1;\n" for i in range(n))
    return (
        "class A {\n"
        + "".join(f"  int x{i} = {i};\n  int y{i} = x{i} + 1;\n" for i in range(n))
        + "}\n"
    )


def long_line(language: str, n: int) -> str:
    """One minified line of n calls with string arguments, separated by `;`/`,`."""
    if language == "python":
        return "; ".join(f"f{i % 7}('s{i}', x == x)" for i in range(n)) + "\n"
    if language in ("javascript", "typescript", "tsx"):
        return ";".join(f"f{i % 7}('s{i}',x==x)" for i in range(n)) + "\n"
    if language == "go":
        return (
            "package main\n\nfunc main() {"
            + ";".join(f'f{i % 7}("s{i}", x == x)' for i in range(n))
            + "}\n"
        )
    if language == "rust":
        return "fn main() {" + ";".join(f'f{i % 7}("s{i}", x == x)' for i in range(n)) + "}\n"
    return (
        "class A { void m() {" + ";".join(f'f{i % 7}("s{i}", x == x)' for i in range(n)) + ";} }\n"
    )


def name_table(language: str, n: int) -> str:
    """One literal table of n string values that look like names (`html.entities`):
    every value is a candidate secret, judged against the whole table."""
    if language == "python":
        return "TABLE = {\n" + "".join(f"    'key{i}': 'Name{i}Abc',\n" for i in range(n)) + "}\n"
    if language in ("javascript", "typescript", "tsx"):
        return (
            "const table = {\n" + "".join(f"  key{i}: 'Name{i}Abc',\n" for i in range(n)) + "};\n"
        )
    if language == "go":
        entries = "".join(f'\t"key{i}": "Name{i}Abc",\n' for i in range(n))
        return "package main\n\nvar table = map[string]string{\n" + entries + "}\n"
    if language == "rust":
        return (
            "const T: &[(&str, &str)] = &["
            + ",".join(f'("k{i}", "N{i}")' for i in range(n))
            + "];\n"
        )
    return "class A { String[] t = {" + ",".join(f'"Name{i}Abc"' for i in range(n)) + "}; }\n"


def functions_then_bindings(language: str, n: int) -> str:
    """n functions, then n module-level assignments: each binding's scope is looked up
    among every function before it."""
    if language == "python":
        functions = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(n))
        return functions + "".join(f"v{i} = f{i}({i})\n" for i in range(n))
    if language in ("javascript", "typescript", "tsx"):
        functions = "".join(f"function f{i}(x) {{ return x + {i}; }}\n" for i in range(n))
        return functions + "".join(f"let v{i} = f{i}({i});\n" for i in range(n))
    if language == "go":
        functions = "".join(f"func f{i}(x int) int {{ return x + {i} }}\n" for i in range(n))
        return "package main\n\n" + functions + "".join(f"var v{i} = f{i}({i})\n" for i in range(n))
    if language == "rust":
        return "".join(f"fn f{i}(x: i32) -> i32 {{ x + {i} }}\n" for i in range(n))
    return (
        "class A {\n"
        + "".join(f"  int f{i}(int x) {{ return x + {i}; }}\n" for i in range(n))
        + "}\n"
    )


SHAPES: dict[str, Callable[[str, int], str]] = {
    "binary_chain": binary_chain,
    "nested_calls": nested_calls,
    "nested_brackets": nested_brackets,
    "unclosed": unclosed,
    "nested_functions": nested_functions,
    "many_findings": many_findings,
    "many_statements": many_statements,
    "long_line": long_line,
    "name_table": name_table,
    "functions_then_bindings": functions_then_bindings,
}


def cases(n: int) -> Iterator[tuple[str, str, str]]:
    """(shape/language, file name, text) for every shape in every language at scale n."""
    for shape, make in SHAPES.items():
        for language, extension in _EXTENSIONS.items():
            yield f"{shape}/{language}", f"case{extension}", make(language, n)


def scaled_to(shape: str, language: str, size: int) -> str:
    """The shape's text for `language`, grown until it is about `size` bytes."""
    make = SHAPES[shape]
    probe = len(make(language, 100))
    n = max(1, size * 100 // max(probe, 1))
    return make(language, n)
