"""Tolerant comparison of a program's stdout with the expected output (CodeContests / AlphaCodium practice).

Equal if any rule holds: equal after stripping and lower-casing; equal with all whitespace removed; every
whitespace-separated token equal, numbers within a tolerance. Lines may optionally be compared as a multiset.
"""

from __future__ import annotations

import math

DEFAULT_TOLERANCE = 1e-4


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def exact_equal(actual: str, expected: str) -> bool:
    """Equal after removing trailing whitespace on each line and trailing newlines."""
    return _lines(actual) == _lines(expected)


def _token_equal(a: str, b: str, tolerance: float) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance)


def _tokens_equal(actual: str, expected: str, tolerance: float) -> bool:
    a, b = actual.split(), expected.split()
    return len(a) == len(b) and all(_token_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))


def tolerant_equal(actual: str, expected: str, tolerance: float = 0.0, unordered_lines: bool = False) -> bool:
    """AlphaCodium's rules: stripped case-insensitive, whitespace-free, token-wise numeric, optional line sets."""
    tolerance = tolerance or DEFAULT_TOLERANCE
    if actual.strip().lower() == expected.strip().lower():
        return True
    if "".join(actual.split()) == "".join(expected.split()):
        return True
    if _tokens_equal(actual.lower(), expected.lower(), tolerance):
        return True
    if unordered_lines:
        a = sorted(line.strip().lower() for line in actual.strip().splitlines())
        b = sorted(line.strip().lower() for line in expected.strip().splitlines())
        return len(a) == len(b) and all(_tokens_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return False
