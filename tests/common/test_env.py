"""Typed settings: every bad value is named, non-finite numbers included."""

from __future__ import annotations

import pytest

from services.common.env import ConfigError, Env


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    env = Env({"GRACE_SECONDS": text, "RATIO": text})
    assert env.number("GRACE_SECONDS", 10.0, 0.0, 600.0) == 10.0
    assert env.number("RATIO", 0.5) == 0.5
    with pytest.raises(ConfigError) as caught:
        env.check()
    assert caught.value.problems == [f"GRACE_SECONDS={text!r}: expected a finite number",
                                     f"RATIO={text!r}: expected a finite number"]


def test_finite_numbers_still_read() -> None:
    env = Env({"A": " 2.5 ", "B": "1e3", "C": "7"})
    assert (env.number("A", 0.0), env.number("B", 0.0), env.integer("C", 0)) == (2.5, 1000.0, 7)
    env.check()
