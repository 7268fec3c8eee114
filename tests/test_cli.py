"""The `synthmesh` command line: parsing, and `exec` against a real executor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.cli.exec_cmd import build_request
from services.cli.inputs import UsageError
from services.cli.main import main, parser
from services.cli.stack import SERVICES, Endpoint, StackState, stop_tiers
from services.cli.up import Stack
from synthmesh.executor.v1 import executor_pb2 as pb
from tests.procs import ROOT, free_port, start_service, stop, wait_serving


def test_every_command_parses() -> None:
    assert parser().parse_args(["up", "--free-ports"]).free_ports is True
    assert parser().parse_args(["status", "--json"]).json is True
    assert parser().parse_args(["exec", "x.py", "--language", "python"]).language == "python"


def test_an_unknown_option_shows_its_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["exec", "prog.py", "--verbose"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("usage: synthmesh exec ")
    assert "unrecognized arguments: --verbose" in err


def test_exec_request_from_files(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("print(input())")
    tests = tmp_path / "t.json"
    tests.write_text(json.dumps({"tests": [{"io": {"stdin": "a", "expectedStdout": "a"}}],
                                 "limits": {"wallSeconds": 2}}))
    request = build_request(program, None, None, tests)
    assert request.language == pb.LANGUAGE_PYTHON and request.entrypoint == "p.py"
    assert request.tests[0].io.expected_stdout == "a" and request.limits.wall_seconds == 2
    with pytest.raises(UsageError, match="not ExecuteRequest JSON"):
        tests.write_text("{not json")
        build_request(program, None, None, tests)
    with pytest.raises(UsageError, match="cannot tell the language"):
        build_request(tests, None, None, None)


@pytest.mark.skipif(os.geteuid() != 0, reason="the executor's sandbox needs root")
def test_exec_against_a_running_executor(tmp_path: Path) -> None:
    port = free_port()
    proc = start_service("services.executor", {"GRPC_PORT": str(port), "METRICS_PORT": str(free_port()),
                                               "EXECUTOR_SLOTS": "1", "EXECUTOR_BROWSER_SLOTS": "0",
                                               "EXECUTOR_UID_BASE": "61400", "DRAIN_SECONDS": "0"})
    try:
        wait_serving(port, "synthmesh.executor.v1.ExecutorService", proc)
        program = tmp_path / "rev.py"
        program.write_text("print(input()[::-1])")
        stdin = tmp_path / "in.txt"
        stdin.write_text("hello\n")
        cli = [sys.executable, "-m", "services.cli", "exec", str(program), "--executor", f"127.0.0.1:{port}"]
        ok = subprocess.run([*cli, "--stdin", str(stdin), "--json"], capture_output=True, text=True, cwd=ROOT)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert json.loads(ok.stdout)["stdout"] == "olleh\n"
        program.write_text("1/0")
        failed = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT)
        assert failed.returncode == 1 and "ZeroDivisionError" in failed.stdout
        bad = subprocess.run([*cli, "--tests", str(stdin)], capture_output=True, text=True, cwd=ROOT)
        assert bad.returncode == 2 and "not ExecuteRequest JSON" in bad.stdout
        # A folder with no stack state: status probes the addresses it is given (the others lead nowhere).
        nowhere = f"127.0.0.1:{free_port()}"
        others = [arg for name in ("gateway", "iterator", "generator", "evaluator") for arg in (f"--{name}", nowhere)]
        status = subprocess.run([sys.executable, "-m", "services.cli", "status", "--executor", f"127.0.0.1:{port}",
                                 *others, "--json"], capture_output=True, text=True, cwd=tmp_path,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        report = json.loads(status.stdout)
        assert status.returncode == 1 and report["addresses"] == "defaults" and not report["healthy"]
        assert report["services"]["executor"]["grpc"] == f"127.0.0.1:{port} SERVING"
        assert report["services"]["gateway"]["grpc"] == f"{nowhere} UNREACHABLE"
    finally:
        stop(proc)


def test_a_child_started_through_dies_with_parent_does_not_outlive_a_killed_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, time\n"
         "from services.cli.stack import dies_with_parent\n"
         "child = subprocess.Popen(dies_with_parent(['sleep', '60']))\n"
         "print(child.pid, flush=True)\ntime.sleep(60)\n"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    # setpriv arms the death signal just before it execs the command: kill the parent only after that.
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child}/comm").read_text().strip() != "sleep":
        if time.monotonic() > deadline:
            parent.kill()
            pytest.fail("the child never exec'd its command")
        time.sleep(0.02)
    parent.kill()
    parent.wait(5)
    for _ in range(50):
        try:
            with open(f"/proc/{child}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break  # dead, waiting for init to reap it
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the child survived its parent")


NOT_UTF8 = b"print('caf\xe9')\n"


def cli_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Command lines whose inputs are wrong, each with what its one line must name; nothing listens anywhere."""
    (tmp / "p.py").write_text("print(input())")
    (tmp / "latin1.py").write_bytes(NOT_UTF8)
    (tmp / "page.html").write_text("<p>hi</p>")
    (tmp / "problem.json").write_text("{}")
    (tmp / "broken.json").write_text('{"publicTests": [')
    (tmp / "latin1.json").write_bytes(NOT_UTF8)
    (tmp / "folder.json").mkdir()
    nowhere = f"127.0.0.1:{free_port()}"
    return {
        "stdin missing": (["exec", str(tmp / "p.py"), "--stdin", str(tmp / "nope.txt"), "--executor", nowhere],
                          "nope.txt: no such file"),
        "program not utf-8": (["exec", str(tmp / "latin1.py"), "--executor", nowhere], "latin1.py: not UTF-8"),
        "tests not utf-8": (["exec", str(tmp / "p.py"), "--tests", str(tmp / "latin1.json"), "--executor", nowhere],
                            "latin1.json: not UTF-8"),
        "screenshot folder missing": (["exec", str(tmp / "page.html"), "--screenshot", str(tmp / "nodir" / "x.png"),
                                       "--executor", nowhere], "nodir does not exist"),
        "program is a folder": (["exec", str(tmp / "folder.json"), "--executor", nowhere], "folder.json: is a folder"),
        "screenshot of a program": (["exec", str(tmp / "p.py"), "--screenshot", str(tmp / "x.png"), "--executor",
                                     nowhere], "x.png: --screenshot works for HTML pages only"),
        "problem missing": (["solve", str(tmp / "nope.json"), "--iterator", nowhere], "nope.json: no such file"),
        "problem is a folder": (["solve", str(tmp / "folder.json"), "--iterator", nowhere],
                                "folder.json: is a folder"),
        "problem not utf-8": (["solve", str(tmp / "latin1.json"), "--iterator", nowhere], "latin1.json: not UTF-8"),
        "problem not json": (["solve", str(tmp / "broken.json"), "--iterator", nowhere],
                             "broken.json: not JSON"),
        "out folder missing": (["solve", str(tmp / "problem.json"), "--out", str(tmp / "nodir" / "best.py"),
                                "--iterator", nowhere], "nodir does not exist"),
        "samples missing": (["eval", "humaneval", "--samples", str(tmp / "nope.jsonl"), "--evaluator", nowhere],
                            "nope.jsonl: no such file"),
        "samples not utf-8": (["eval", "humaneval", "--samples", str(tmp / "latin1.py"), "--evaluator", nowhere],
                              "latin1.py: not UTF-8"),
    }


@pytest.mark.parametrize("case", ["stdin missing", "program not utf-8", "tests not utf-8",
                                  "screenshot folder missing", "program is a folder", "screenshot of a program",
                                  "problem missing", "problem is a folder",
                                  "problem not utf-8", "problem not json", "out folder missing", "samples missing",
                                  "samples not utf-8"])
def test_bad_inputs_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    argv, names = cli_inputs(tmp_path)[case]
    assert main(argv) == 2
    out = capsys.readouterr()
    [line] = (out.out + out.err).strip().splitlines()
    assert line.startswith(f"synthmesh {argv[0]}: ") and "Traceback" not in line
    assert names in line, line


@pytest.mark.parametrize("content", ["{not json", "[]", '{"endpoints": {"nope": {}}}', '{"colour": 1}'])
def test_status_with_a_damaged_state_file_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".synthmesh").mkdir()
    (tmp_path / ".synthmesh" / "stack.json").write_text(content)
    assert main(["status"]) == 2
    [line] = capsys.readouterr().out.strip().splitlines()
    assert line.startswith("synthmesh status: .synthmesh/stack.json is unreadable")


def test_the_state_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    StackState(redis_url="redis://a").save(path)
    StackState(redis_url="redis://b", endpoints={"executor": Endpoint("executor", pid=7)}).save(path)
    loaded = StackState.load(path)
    assert loaded is not None and loaded.redis_url == "redis://b" and loaded.endpoints["executor"].pid == 7
    assert [p.name for p in tmp_path.iterdir()] == ["stack.json"]


UP_CASES = [
    ({"LLM_API_BASE": "http://127.0.0.1:9/v1"}, True),  # names no model: the services stay on the offline model
    ({"LLM_API_BASE": "http://127.0.0.1:9/v1", "LLM_MODEL": "openai/qwen"}, False),
    ({"OPENROUTER_API_KEY": "sk-x"}, False),
    ({"OPENROUTER_API_KEY": "sk-x", "LLM_OFFLINE": "true"}, True),
    ({"OPENAI_API_KEY": "sk-x", "LLM_ANSWER_MODELS": "openai/synthmesh-offline"}, True),  # one role offline
    ({}, True),
]


@pytest.mark.parametrize(("env", "offline"), UP_CASES)
def test_up_starts_the_offline_server_exactly_when_a_service_will_call_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], offline: bool
) -> None:
    for name in list(os.environ):
        if name.startswith("LLM_") or name.endswith("_API_KEY") or name == "OFFLINE_LLM_URL":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    names = [s.name for s in Stack(False, None).specs()]
    assert ("offline_llm" in names) is offline


def test_up_refuses_bad_settings_before_starting_anything(tmp_path: Path) -> None:
    # REDIS_HOST points where no Redis listens: whatever happens, the machine's Redis is never used.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    env.update(PYTHONPATH=str(ROOT), REDIS_HOST="127.0.0.2", REDIS_PORT="abc", GRACE_SECONDS="nan")
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "up", "--free-ports"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 2, out + err
    assert "REDIS_PORT='abc'" in err and "GRACE_SECONDS='nan'" in err and "Traceback" not in err
    assert not (tmp_path / ".synthmesh").exists()


def test_services_stop_after_every_service_that_calls_them() -> None:
    started = [s.name for s in SERVICES]
    assert stop_tiers(started) == [["generator", "evaluator"], ["gateway", "iterator"], ["offline_llm", "executor"]]
    assert stop_tiers(["executor", "iterator"]) == [["iterator"], ["executor"]]


@pytest.mark.parametrize(("command", "flag"), [("exec", "--executor"), ("gen", "--generator"),
                                               ("solve", "--iterator"), ("eval", "--evaluator")])
def test_a_service_nobody_runs_is_one_line_with_the_way_out(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            command: str, flag: str) -> None:
    (tmp_path / "p.py").write_text("print(1)")
    inputs = {"exec": [str(tmp_path / "p.py")], "gen": [], "solve": [str(ROOT / "examples" / "add.problem.json")],
              "eval": ["humaneval", "--canonical"]}
    assert main([command, *inputs[command], flag, f"127.0.0.1:{free_port()}"]) == 2
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith(f"synthmesh {command}: UNAVAILABLE") and "synthmesh up" in lines[-1], lines
    assert flag in lines[-1]
