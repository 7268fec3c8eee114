"""Bad requests get INVALID_ARGUMENT with a field violation for each problem, and nothing runs."""

from __future__ import annotations

import grpc
import pytest

from services.common.errors import field_violations
from synthmesh.executor.v1 import executor_pb2 as pb

from .conftest import Running, py

CASES = [
    ("unknown language", pb.ExecuteRequest(files=[pb.File(path="main.py", content="")]), "language"),
    ("no files", pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON), "files"),
    ("path escapes", pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON,
                                       files=[pb.File(path="../evil.py", content="")]), "files[0].path"),
    ("absolute path", pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON,
                                        files=[pb.File(path="/etc/x.py", content="")]), "files[0].path"),
    ("duplicate path", pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON,
                                         files=[pb.File(path="a.py"), pb.File(path="a.py")]), "files[1].path"),
    ("missing entrypoint", pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, entrypoint="nope.py",
                                             files=[pb.File(path="a.py"), pb.File(path="b.py")]), "entrypoint"),
    ("negative limit", py("", limits=pb.Limits(wall_seconds=-1)), "limits.wall_seconds"),
    ("absurd memory", py("", limits=pb.Limits(memory_bytes=1 << 50)), "limits.memory_bytes"),
    ("absurd processes", py("", limits=pb.Limits(max_processes=1_000_000)), "limits.max_processes"),
    ("nan limit", py("", limits=pb.Limits(cpu_seconds=float("nan"))), "limits.cpu_seconds"),
    ("memory below node's own", pb.ExecuteRequest(language=pb.LANGUAGE_JAVASCRIPT, files=[pb.File(path="main.js")],
                                                  limits=pb.Limits(memory_bytes=32 << 20)), "limits.memory_bytes"),
    ("empty test", py("", tests=[pb.TestCase(name="t")]), "tests[0]"),
    ("empty assertion", py("", tests=[pb.TestCase(assertion="  ")]), "tests[0].assertion"),
    ("bad check code", py("", unit_tests=pb.UnitTestSuite(check_code="def check(:", entry_point="f")),
     "unit_tests.check_code"),
    ("no check function", py("", unit_tests=pb.UnitTestSuite(check_code="assert True", entry_point="f")),
     "unit_tests.check_code"),
    ("bad entry point", py("", unit_tests=pb.UnitTestSuite(check_code="def check(c): pass", entry_point="1x")),
     "unit_tests.entry_point"),
    ("bad step", pb.ExecuteRequest(language=pb.LANGUAGE_HTML, files=[pb.File(path="index.html")],
                                   browser=pb.BrowserOptions(steps=[pb.InteractionStep()])),
     "browser.steps[0].kind"),
]


@pytest.mark.parametrize(("label", "request_", "field"), CASES, ids=[c[0] for c in CASES])
async def test_bad_request_is_invalid_argument_with_field(executor: Running, label: str,
                                                          request_: pb.ExecuteRequest, field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await executor.stub.Execute(request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [f for f, _ in field_violations(caught.value)]
    assert field in fields, (label, fields)


async def test_oversized_payload_is_refused(executor: Running) -> None:
    big = py("x = 1\n" + "#" * (17 * 1024 * 1024))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await executor.stub.Execute(big)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "limit" in caught.value.details()


async def test_batch_reports_each_bad_job_by_index(executor: Running) -> None:
    jobs = [py("print(1)"), pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON), py("", limits=pb.Limits(cpu_seconds=-2))]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in executor.stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
            pass
    fields = [f for f, _ in field_violations(caught.value)]
    assert fields == ["jobs[1].files", "jobs[2].limits.cpu_seconds"]


async def test_empty_batch_is_refused(executor: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in executor.stub.ExecuteBatch(pb.ExecuteBatchRequest()):
            pass
    assert [f for f, _ in field_violations(caught.value)] == ["jobs"]
