# ruff: noqa
# fmt: off
import re


def membership(rows):
    allowed = ["admin", "owner", "editor", "viewer"]
    kept = []
    for row in rows:
        if row.role in allowed:  # expect: LP301
            kept.append(row)
    small = ["a", "b"]
    for row in rows:
        if row.kind in small:
            kept.append(row)
    return kept


def concatenation(lines):
    out = ""
    for line in lines:
        out += line  # expect: LP302
    total = 0
    for line in lines:
        total += len(line)
    return out, total


def compile_in_loop(lines):
    found = []
    for line in lines:
        pattern = re.compile(r"\d+")  # expect: LP303
        found += pattern.findall(line)
    number = re.compile(r"\d+")
    for line in lines:
        found += number.findall(line)
    return found
