"""Tolerant comparison of a program's stdout with the expected output (CodeContests / AlphaCodium practice).

Outputs are compared token by token (split on any whitespace, case-insensitive). Integer tokens must be equal as
written; when either token is a non-integer number (a decimal point, an exponent, inf or nan), the two are equal
within a tolerance. Lines may optionally be compared as a multiset under the same token rule. Tokens are never
concatenated: "1 23" is not "12 3".
"""

from __future__ import annotations

import math
import re

DEFAULT_TOLERANCE = 1e-4

_INTEGER = re.compile(r"[+-]?[0-9]+")
# Only what a program prints for a number: float() would also accept "1_0" or "infinity" spelled oddly.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)")


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def exact_equal(actual: str, expected: str) -> bool:
    """Equal after removing trailing whitespace on each line and trailing newlines."""
    return _lines(actual) == _lines(expected)


def _number(token: str) -> int | float | None:
    """The value of a lower-cased token that is a number, else None."""
    if _INTEGER.fullmatch(token):
        return int(token)
    return float(token) if _NUMBER.fullmatch(token) else None


def _token_equal(a: str, b: str, tolerance: float) -> bool:
    if a == b:
        return True
    x, y = _number(a), _number(b)
    if x is None or y is None or (isinstance(x, int) and isinstance(y, int)):
        return False  # integers differing in their digits are different answers, however close
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance)


def _tokens_equal(a: list[str], b: list[str], tolerance: float) -> bool:
    return len(a) == len(b) and all(_token_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))


def _line_key(tokens: list[str]) -> tuple[tuple[str, ...], tuple[tuple[int, int | float], ...]]:
    """Sorts lines that may match next to each other: words as text first, then numbers by value."""
    values = [_number(t) for t in tokens]
    shape = tuple("#" if v is not None else t for t, v in zip(tokens, values, strict=True))
    numbers = tuple((1, 0) if math.isnan(v) else (0, v) for v in values if v is not None)
    return shape, numbers


def _unordered_equal(actual: str, expected: str, tolerance: float) -> bool:
    """The lines match as multisets; blank lines are whitespace and ignored, as in the ordered comparison.

    Sorting both sides by _line_key and pairing in order finds a matching whenever exact lines or lines with one
    number differ; near-equal floats in several columns of many lines could in theory pair wrongly (rejected).
    """
    a = sorted((line.split() for line in actual.splitlines() if line.strip()), key=_line_key)
    b = sorted((line.split() for line in expected.splitlines() if line.strip()), key=_line_key)
    return len(a) == len(b) and all(_tokens_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))


def tolerant_equal(actual: str, expected: str, tolerance: float = 0.0, unordered_lines: bool = False) -> bool:
    """Token-wise equal (numbers within tolerance), or with unordered_lines, equal as a multiset of lines."""
    tolerance = tolerance or DEFAULT_TOLERANCE
    actual, expected = actual.lower(), expected.lower()
    if _tokens_equal(actual.split(), expected.split(), tolerance):
        return True
    return unordered_lines and _unordered_equal(actual, expected, tolerance)
