"""Pure helpers of the executor: output comparison and the split of HumanEval checks."""

from __future__ import annotations

import pytest

from services.executor.compare import exact_equal, tolerant_equal
from services.executor.config import ExecutorConfig
from services.executor.unittests import CheckCodeError, split_check
from services.executor.verdicts import overall
from synthmesh.executor.v1 import executor_pb2 as pb


@pytest.mark.parametrize(("actual", "expected", "equal"), [
    ("3\n", "3", True),
    ("YES\n", "yes", True),
    ("1 2  3\n", "1 2 3", True),
    ("0.333333", "0.3333", True),
    ("0.34", "0.3333", False),
    ("1 2", "1 2 3", False),
    ("nan", "nan", True),
    ("abc", "abd", False),
])
def test_tolerant_equal(actual: str, expected: str, equal: bool) -> None:
    assert tolerant_equal(actual, expected) is equal


def test_unordered_lines_only_when_asked() -> None:
    assert not tolerant_equal("b\na", "a\nb")
    assert tolerant_equal("b\na", "a\nb", unordered_lines=True)


@pytest.mark.parametrize(("actual", "expected"), [
    ("1000000008", "1000000007"),  # a relative tolerance must not reach integers
    ("12346", "12345"),
    ("1 23", "12 3"),  # tokens are never concatenated
    ("1 2 3", "12 3"),
    ("-0", "0"),
    ("1_0", "10.0"),  # float() would read it as 10
])
def test_tolerant_rejects_different_integers_and_regrouped_tokens(actual: str, expected: str) -> None:
    assert not tolerant_equal(actual, expected)
    assert not tolerant_equal(actual, expected, unordered_lines=True)


@pytest.mark.parametrize(("actual", "expected"), [
    ("3.0", "3"),  # either token a non-integer number: compared as floats
    ("1e3", "1000"),
    ("1000000007.5", "1000000007.49"),
    ("  7 \n\n 8  \n\n", "7\n8"),
    ("7\t8", "7 8"),
    ("-INF", "-inf"),
])
def test_tolerant_keeps_whitespace_and_float_tolerance(actual: str, expected: str) -> None:
    assert tolerant_equal(actual, expected)


def test_unordered_lines_match_as_multisets_under_the_token_rule() -> None:
    assert tolerant_equal("1 1\n1.0 2", "1 2\n1.0 1", unordered_lines=True)
    assert tolerant_equal("b 2.00001\na 1\n\nb 2", "b 2\nb 2\na 1", unordered_lines=True)
    assert not tolerant_equal("1\n1\n2", "1\n2\n2", unordered_lines=True)
    assert not tolerant_equal("2\n1", "1\n2\n2", unordered_lines=True)


def test_exact_ignores_only_trailing_whitespace() -> None:
    assert exact_equal("1 \n2\n\n", "1\n2")
    assert not exact_equal("1\n2", "1\n 2")
    assert not exact_equal("YES", "yes")


def test_split_folds_setup_statements_into_the_next_case() -> None:
    code = "import math\n\ndef check(c):\n    '''doc'''\n    assert c(1) == 1\n    y = 3\n    assert c(y) == 3\n"
    suite = split_check(code, "f")
    assert suite.setup == "import math\nc = f"
    assert suite.cases == ("assert c(1) == 1", "y = 3\nassert c(y) == 3")
    assert suite.names == ("assert c(1) == 1", "assert c(y) == 3")


def test_split_keeps_a_loop_of_asserts_as_one_case_and_trailing_code_in_the_last() -> None:
    code = "def check(candidate):\n    for i in range(3):\n        assert candidate(i) == i\n    print('done')\n"
    suite = split_check(code, "g")
    assert suite.cases == ("for i in range(3):\n    assert candidate(i) == i\nprint('done')",)


def test_split_without_asserts_is_one_case() -> None:
    suite = split_check("def check(candidate):\n    candidate(1)\n", "g")
    assert suite.cases == ("candidate(1)",) and suite.names == ("check",)


def test_split_drops_module_level_calls_of_check() -> None:
    # HumanEvalPack ends its tests with `check(add)`: in setup it would run before check exists.
    suite = split_check("def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n", "add")
    assert suite.setup == "candidate = add"
    assert suite.cases == ("assert candidate(1, 2) == 3",)


@pytest.mark.parametrize("code", [
    "def check(candidate):\n    assert candidate(1) == 1\n    if candidate(0) == 0:\n        return\n"
    "    assert candidate(2) == 3\n",
    "def check(candidate):\n    for i in range(3):\n        if i:\n            assert candidate(i)\n"
    "    yield\n    assert candidate(0)\n",
    "import functools\n@functools.cache\ndef check(candidate):\n    assert candidate(1)\n    assert candidate(2)\n",
    "def check(candidate, *, exact=True):\n    assert candidate(1) if exact else True\n    assert candidate(2)\n",
    "def check(candidate):\n    assert candidate(1)\n    assert candidate(2)\nCHECKS = [check]\n",
], ids=["return", "yield", "decorated", "keyword-only", "module code uses check"])
def test_split_falls_back_to_the_whole_check_when_a_split_would_change_its_meaning(code: str) -> None:
    suite = split_check(code + "check(f)\n", "f")
    assert suite.cases == ("check(f)",) and suite.names == ("check",)
    assert "def check(candidate" in suite.setup and not suite.setup.rstrip().endswith("check(f)")
    namespace: dict[str, object] = {"f": lambda x: x}
    exec(suite.setup, namespace)  # noqa: S102 - the test's own code
    exec(suite.cases[0], namespace)  # noqa: S102


@pytest.mark.parametrize("code", ["def check(:", "assert True", "def check(a, b):\n    pass"])
def test_split_rejects_bad_check_code(code: str) -> None:
    with pytest.raises(CheckCodeError):
        split_check(code, "f")


@pytest.mark.parametrize(("tests", "run", "verdict"), [
    ([pb.OUTCOME_OK, pb.OUTCOME_OK], pb.OUTCOME_OK, pb.OUTCOME_OK),
    ([pb.OUTCOME_OK, pb.OUTCOME_OK], pb.OUTCOME_RUNTIME_ERROR, pb.OUTCOME_RUNTIME_ERROR),  # failed after its tests
    ([pb.OUTCOME_OK], pb.OUTCOME_TIME_LIMIT, pb.OUTCOME_TIME_LIMIT),
    ([pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER], pb.OUTCOME_RUNTIME_ERROR, pb.OUTCOME_WRONG_ANSWER),
    ([], pb.OUTCOME_MEMORY_LIMIT, pb.OUTCOME_MEMORY_LIMIT),
    ([pb.OUTCOME_WRONG_ANSWER], pb.OUTCOME_SYNTAX_ERROR, pb.OUTCOME_SYNTAX_ERROR),
])
def test_overall_verdict_counts_the_run_even_when_every_test_passed(tests: list[int], run: int, verdict: int) -> None:
    assert overall(tests, run) == verdict


@pytest.mark.parametrize(("slots", "browsers"), [("1", 1), ("2", 1), ("7", 1), ("8", 2), ("16", 4)])
def test_one_browser_per_four_cores_with_sixteen_pages_by_default(slots: str, browsers: int) -> None:
    config = ExecutorConfig.from_env({"EXECUTOR_SLOTS": slots})
    assert (config.browser_slots, config.browser_pages) == (browsers, 16)
    explicit = ExecutorConfig.from_env({"EXECUTOR_SLOTS": slots, "EXECUTOR_BROWSER_SLOTS": "3",
                                        "EXECUTOR_BROWSER_PAGES": "5"})
    assert (explicit.browser_slots, explicit.browser_pages) == (3, 5)
