"""Python and JavaScript jobs through the real sandbox: verdicts, per-test results, output and limits."""

from __future__ import annotations

from synthmesh.executor.v1 import executor_pb2 as pb

from .conftest import Running, js, py

CHECK = """
METADATA = {"author": "test"}


def check(candidate):
    assert candidate(1, 2) == 3
    x = 10
    assert candidate(x, 5) == 15
    for a in range(3):
        assert candidate(a, a) == 2 * a
    assert candidate(-1, 1) == 0
"""


async def test_python_plain_run_reports_stdout_exit_code_and_usage(executor: Running) -> None:
    result = await executor.stub.Execute(py("import sys\nprint('hello')\nprint('warn', file=sys.stderr)"))
    assert result.outcome == pb.OUTCOME_OK
    assert result.stdout == "hello\n" and result.stderr == "warn\n"
    assert result.exit_code == 0 and result.signal == 0
    assert result.peak_memory_bytes > 1_000_000 and result.sandbox == "bwrap"


async def test_unit_tests_give_one_result_per_assertion(executor: Running) -> None:
    request = py("def add(a, b):\n    return a + b if a != 10 else 0\n",
                 unit_tests=pb.UnitTestSuite(check_code=CHECK, entry_point="add"))
    result = await executor.stub.Execute(request)
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER, pb.OUTCOME_OK,
                                                 pb.OUTCOME_OK]
    assert result.outcome == pb.OUTCOME_WRONG_ANSWER and result.tests_passed == 3
    assert "candidate(x, 5) == 15" in result.tests[1].name


async def test_check_code_with_its_own_call_or_an_early_return_grades_a_correct_program_ok(
        executor: Running) -> None:
    add = "def add(a, b):\n    return a + b\n"
    called = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n\ncheck(add)\n"
    early = ("def check(candidate):\n    assert candidate(1, 2) == 3\n    if candidate(0, 0) == 0:\n        return\n"
             "    assert candidate(1, 1) == 5\n")
    for check, cases in ((called, 2), (early, 1)):
        suite = pb.UnitTestSuite(check_code=check, entry_point="add")
        result = await executor.stub.Execute(py(add, unit_tests=suite))
        assert result.outcome == pb.OUTCOME_OK and len(result.tests) == cases, result.message
    wrong = await executor.stub.Execute(py("def add(a, b):\n    return 1\n",
                                           unit_tests=pb.UnitTestSuite(check_code=early, entry_point="add")))
    assert wrong.outcome == pb.OUTCOME_WRONG_ANSWER and [t.name for t in wrong.tests] == ["check"]


async def test_exception_in_a_case_is_a_runtime_error_of_that_case_only(executor: Running) -> None:
    request = py("def add(a, b):\n    if a < 0:\n        raise ValueError('negative')\n    return a + b\n",
                 unit_tests=pb.UnitTestSuite(check_code=CHECK, entry_point="add"))
    result = await executor.stub.Execute(request)
    assert [t.outcome for t in result.tests][-1] == pb.OUTCOME_RUNTIME_ERROR
    assert "ValueError: negative" in result.tests[-1].message
    assert result.tests_passed == 3


async def test_io_tests_compare_tolerantly_and_report_wrong_answers(executor: Running) -> None:
    tests = [
        pb.TestCase(name="sum", io=pb.IoTest(stdin="1 2\n", expected_stdout="3")),
        pb.TestCase(name="float", io=pb.IoTest(stdin="1 2\n", expected_stdout="3.00001")),
        pb.TestCase(name="wrong", io=pb.IoTest(stdin="2 2\n", expected_stdout="5")),
        pb.TestCase(name="exact", io=pb.IoTest(stdin="1 1\n", expected_stdout="2.0",
                                               comparison=pb.COMPARISON_EXACT)),
    ]
    result = await executor.stub.Execute(py("a, b = map(int, input().split())\nprint(a + b)", tests=tests))
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK, pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER,
                                                 pb.OUTCOME_WRONG_ANSWER]
    assert result.tests[2].stdout == "4\n" and result.tests[2].expected_stdout == "5"
    assert result.outcome == pb.OUTCOME_WRONG_ANSWER


async def test_unordered_lines_option(executor: Running) -> None:
    test = pb.TestCase(io=pb.IoTest(expected_stdout="b\na\n", unordered_lines=True))
    result = await executor.stub.Execute(py("print('a')\nprint('b')", tests=[test]))
    assert result.outcome == pb.OUTCOME_OK


async def test_syntax_error_is_its_own_verdict(executor: Running) -> None:
    result = await executor.stub.Execute(py("def f(:\n    pass"))
    assert result.outcome == pb.OUTCOME_SYNTAX_ERROR
    assert "SyntaxError" in result.message


async def test_uncaught_exception_is_a_runtime_error_with_the_programs_traceback(executor: Running) -> None:
    result = await executor.stub.Execute(py("def f():\n    return 1 / 0\nf()"))
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR
    assert "ZeroDivisionError" in result.message
    assert 'File "/tmp/w/main.py", line 2' in result.stderr
    assert "worker" not in result.stderr


async def test_nonzero_exit_is_a_runtime_error(executor: Running) -> None:
    result = await executor.stub.Execute(py("import sys\nsys.exit(3)"))
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR and result.exit_code == 3


async def test_cpu_loop_hits_the_time_limit(executor: Running) -> None:
    result = await executor.stub.Execute(py("while True:\n    pass", limits=pb.Limits(cpu_seconds=1, wall_seconds=3)))
    assert result.outcome == pb.OUTCOME_TIME_LIMIT


async def test_sleeping_program_hits_the_wall_clock_limit(executor: Running) -> None:
    result = await executor.stub.Execute(py("import time\ntime.sleep(30)", limits=pb.Limits(wall_seconds=0.5)))
    assert result.outcome == pb.OUTCOME_TIME_LIMIT
    assert result.wall_seconds < 5


async def test_timeout_in_a_case_marks_that_case_and_the_rest(executor: Running) -> None:
    check = "def check(candidate):\n    assert candidate(1) == 1\n    assert candidate(2) == 2\n"
    code = "def f(x):\n    while x == 2:\n        pass\n    return x\n"
    result = await executor.stub.Execute(py(code, unit_tests=pb.UnitTestSuite(check_code=check, entry_point="f"),
                                            limits=pb.Limits(cpu_seconds=1, wall_seconds=3)))
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK, pb.OUTCOME_TIME_LIMIT]


async def test_memory_limit(executor: Running) -> None:
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(32 * 1024 * 1024))"
    result = await executor.stub.Execute(py(code, limits=pb.Limits(memory_bytes=64 * 1024 * 1024)))
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT


async def test_output_flood_is_cut_at_the_cap(executor: Running) -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"
    result = await executor.stub.Execute(py(code, limits=pb.Limits(output_bytes=100_000)))
    assert result.outcome == pb.OUTCOME_OUTPUT_LIMIT
    assert result.stdout_truncated and len(result.stdout) == 100_000


async def test_multi_file_python_program_imports_its_module(executor: Running) -> None:
    files = [pb.File(path="main.py", content="from lib.util import double\nprint(double(21))"),
             pb.File(path="lib/__init__.py", content=""),
             pb.File(path="lib/util.py", content="def double(x):\n    return 2 * x\n")]
    result = await executor.stub.Execute(pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=files,
                                                           entrypoint="main.py"))
    assert result.outcome == pb.OUTCOME_OK and result.stdout == "42\n"


async def test_a_program_imports_its_own_module_named_like_the_runners(executor: Running) -> None:
    # The runner's own modules are loaded in the interpreter programs are forked from; a program's file of the
    # same name must win, and the runner's folder must not be on its path.
    files = [pb.File(path="main.py", content="import sys, worker_program\nprint(worker_program.VALUE)\n"
                                              "print(any(p.startswith('/sb') for p in sys.path))"),
             pb.File(path="worker_program.py", content="VALUE = 'mine'\n")]
    result = await executor.stub.Execute(pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=files,
                                                           entrypoint="main.py"))
    assert result.outcome == pb.OUTCOME_OK, result.stderr
    assert result.stdout == "mine\nFalse\n"


async def test_javascript_run_and_assertion_tests(executor: Running) -> None:
    code = "function add(a, b) { return a + b; }\nconsole.log('ready');"
    tests = [pb.TestCase(name="ok", assertion="assert.strictEqual(add(1, 2), 3)"),
             pb.TestCase(name="bad", assertion="assert.strictEqual(add(1, 2), 4)"),
             pb.TestCase(name="throws", assertion="missing()")]
    result = await executor.stub.Execute(js(code, tests=tests))
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER, pb.OUTCOME_RUNTIME_ERROR]
    assert "3 !== 4" in result.tests[1].message and "ReferenceError" in result.tests[2].message


async def test_javascript_case_returning_a_promise_passes_only_if_it_resolves(executor: Running) -> None:
    code = "function f() { return Promise.resolve(2); }"
    tests = [pb.TestCase(name="resolves", assertion="f().then(v => assert.strictEqual(v, 2))"),
             pb.TestCase(name="wrong", assertion="f().then(v => assert.strictEqual(v, 3))"),
             pb.TestCase(name="rejects", assertion="f().then(() => { throw new TypeError('late') })"),
             pb.TestCase(name="async", assertion="(async () => assert.strictEqual(await f(), 2))()"),
             pb.TestCase(name="never", assertion="new Promise(() => {})")]
    result = await executor.stub.Execute(js(code, tests=tests))
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER, pb.OUTCOME_RUNTIME_ERROR,
                                                 pb.OUTCOME_OK, pb.OUTCOME_RUNTIME_ERROR]
    assert "2 !== 3" in result.tests[1].message and "TypeError: late" in result.tests[2].message
    assert "never settled" in result.tests[4].message
    assert result.outcome == pb.OUTCOME_WRONG_ANSWER


async def test_javascript_run_failing_after_its_tests_passed_is_not_ok(executor: Running) -> None:
    add = "function add(a, b) { return a + b; }\n"
    test = [pb.TestCase(name="t", assertion="assert.strictEqual(add(1, 2), 3)")]
    for tail, message in (("setTimeout(() => { throw new Error('boom') }, 20);", "Error: boom"),
                          ("Promise.reject(new RangeError('nobody waits'));", "RangeError: nobody waits"),
                          ("process.exitCode = 2;", "exit code 2")):
        result = await executor.stub.Execute(js(add + tail, tests=test))
        assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK], tail
        assert result.outcome == pb.OUTCOME_RUNTIME_ERROR and result.exit_code != 0, tail
        assert message in result.message, (tail, result.message)


async def test_python_run_failing_after_its_tests_passed_is_not_ok(executor: Running) -> None:
    # The run reports the case passed, then exits 1: the exit status must count, as for any run.
    forged = "import os\nos.write(3, b'{\"case\": 0, \"status\": \"pass\"}\\n')\nos._exit(1)"
    result = await executor.stub.Execute(py("x = 1", tests=[pb.TestCase(name="t", assertion=forged)]))
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK]
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR and result.exit_code == 1


async def test_javascript_io_syntax_and_runtime_errors(executor: Running) -> None:
    echo = "const lines = require('fs').readFileSync(0, 'utf8').trim().split(' ');\nconsole.log(+lines[0] * 2);"
    ok = await executor.stub.Execute(js(echo, tests=[pb.TestCase(io=pb.IoTest(stdin="21", expected_stdout="42"))]))
    assert ok.outcome == pb.OUTCOME_OK
    syntax = await executor.stub.Execute(js("function (a {"))
    assert syntax.outcome == pb.OUTCOME_SYNTAX_ERROR
    crash = await executor.stub.Execute(js("null.x"))
    assert crash.outcome == pb.OUTCOME_RUNTIME_ERROR and "TypeError" in crash.message


async def test_no_file_survives_from_one_job_to_the_next(executor: Running) -> None:
    write = "open('/tmp/leak.txt', 'w').write('x')\nopen('left.txt', 'w').write('y')\nprint('written')"
    for _ in range(3):  # enough runs that both slots served a writer
        assert (await executor.stub.Execute(py(write))).stdout == "written\n"
    look = "import os\nprint(os.path.exists('/tmp/leak.txt'), os.path.exists('left.txt'), os.listdir('/tmp'))"
    for _ in range(3):
        result = await executor.stub.Execute(py(look))
        assert result.stdout.startswith("False False ['w']"), result.stdout


async def test_no_file_survives_even_in_folders_the_program_locked(executor: Running) -> None:
    # A folder made unreadable broke the clean-up once, and the job queued behind on that slot then ran in the
    # dirty /tmp (importing a module the previous job planted).
    lock = ("import os\nos.makedirs('/tmp/a/b')\nopen('/tmp/a/b/s.txt', 'w').write('x')\nos.chmod('/tmp/a/b', 0)\n"
            "os.chmod('/tmp/a', 0o500)\nopen('planted.py', 'w').write('X = 1')\nos.makedirs('d/e')\n"
            "os.chmod('d/e', 0)\nos.chmod('d', 0)\nprint('locked')")
    look = "import os\nprint(sorted(os.listdir('/tmp')), os.listdir('/tmp/w'))"
    jobs = [py(lock) if i % 2 == 0 else py(look) for i in range(8)]
    async for item in executor.stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
        expected = "locked\n" if item.index % 2 == 0 else "['w'] ['main.py']\n"
        assert item.result.outcome == pb.OUTCOME_OK and item.result.stdout == expected, item.result


async def test_no_process_survives_from_one_job_to_the_next(executor: Running) -> None:
    spawn = "import subprocess\nsubprocess.Popen(['sleep', '30'])\nprint('spawned')"
    for _ in range(3):
        assert (await executor.stub.Execute(py(spawn))).stdout == "spawned\n"
    look = "import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))"
    for _ in range(3):
        result = await executor.stub.Execute(py(look))
        assert result.stdout == "2\n", "only the run host (pid 1) and the program itself may exist"


async def test_batch_streams_every_result_with_its_index(executor: Running) -> None:
    jobs = [py(f"print({i} * {i})", tag=f"job-{i}") for i in range(12)]
    seen = {}
    async for item in executor.stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
        seen[item.index] = item.result
    assert sorted(seen) == list(range(12))
    assert all(seen[i].stdout == f"{i * i}\n" and seen[i].tag == f"job-{i}" for i in range(12))


async def test_info_describes_the_sandbox(executor: Running) -> None:
    info = await executor.stub.GetInfo(pb.GetInfoRequest())
    assert info.sandbox == "bwrap" and info.slots == 2
    assert set(info.languages) == {pb.LANGUAGE_PYTHON, pb.LANGUAGE_JAVASCRIPT, pb.LANGUAGE_HTML}
    assert any(r.startswith("chromium ") for r in info.runtimes)
