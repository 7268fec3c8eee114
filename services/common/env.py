"""Typed reading of environment variables, collecting every bad value before failing.

Services build frozen config dataclasses from an `Env`; nothing else reads `os.environ`. A misconfigured
deployment fails at start-up with one message naming each offending variable and what it should be.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T", int, float)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """One or more environment variables hold values the service cannot use."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


class Env:
    """Reads typed values from a mapping and remembers every problem until `check()`."""

    def __init__(self, source: Mapping[str, str] | None = None) -> None:
        self._source = dict(os.environ if source is None else source)
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        """Returns the variable's text, or None when it is unset."""
        return self._source.get(name)

    def text(self, name: str, default: str = "", choices: tuple[str, ...] = ()) -> str:
        """Reads a string, optionally restricted to `choices` (compared case-insensitively)."""
        value = self._source.get(name, default).strip()
        if choices and value.lower() not in choices:
            self.problems.append(f"{name}={value!r}: expected one of {', '.join(choices)}")
            return default
        return value.lower() if choices else value

    def flag(self, name: str, default: bool) -> bool:
        """Reads a boolean written as 1/0, true/false, yes/no or on/off."""
        value = self._source.get(name)
        if value is None:
            return default
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
        self.problems.append(f"{name}={value!r}: expected a boolean (true/false, 1/0, yes/no, on/off)")
        return default

    def integer(self, name: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
        """Reads an integer within [lo, hi]."""
        return self._number(name, default, int, lo, hi)

    def number(self, name: str, default: float, lo: float | None = None, hi: float | None = None) -> float:
        """Reads a float within [lo, hi]."""
        return self._number(name, default, float, lo, hi)

    def port(self, name: str, default: int) -> int:
        """Reads a TCP port; 0 asks the OS for a free one."""
        return self.integer(name, default, 0, 65535)

    def _number(self, name: str, default: T, kind: type[T], lo: T | None, hi: T | None) -> T:
        text = self._source.get(name)
        if text is None or not text.strip():
            return default
        try:
            value = kind(text.strip())
        except ValueError:
            self.problems.append(f"{name}={text!r}: expected {'an integer' if kind is int else 'a number'}")
            return default
        # float() reads "nan" and "inf"; nan passes every bound check below, since each comparison is False.
        if not math.isfinite(value):
            self.problems.append(f"{name}={text!r}: expected a finite number")
            return default
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
            self.problems.append(f"{name}={text!r}: must lie in {bounds}")
            return default
        return value

    def check(self) -> None:
        """Raises ConfigError listing every problem seen so far."""
        if self.problems:
            raise ConfigError(self.problems)
