"""HTML pages in the real Chromium: errors with phase and position, interaction, isolation between jobs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from services.common.errors import Violations
from services.executor.browser.page_job import MAX_ERRORS
from services.executor.browser.pool import BrowserPool, WarmPage, browser_settings
from services.executor.validation import prepare
from synthmesh.executor.v1 import executor_pb2 as pb

from .conftest import Running, html, make_config

CLEAN = """<!DOCTYPE html><html><head><style>canvas{border:1px solid}</style></head><body>
<button id="go">Go</button><canvas id="c" width="200" height="200"></canvas>
<script>
const ctx = document.getElementById('c').getContext('2d');
let x = 0, clicks = 0;
document.getElementById('go').addEventListener('click', () => { clicks++; });
document.addEventListener('keydown', (e) => { if (e.key === 'ArrowRight') x += 5; });
function frame() { x = (x + 1) % 200; ctx.clearRect(0, 0, 200, 200); ctx.fillRect(x, 90, 20, 20);
  requestAnimationFrame(frame); }
requestAnimationFrame(frame);
console.log('started');
</script></body></html>"""


async def run(executor: Running, page: str, **kwargs: object) -> pb.ExecuteResponse:
    return await executor.stub.Execute(html(page, **kwargs))


async def test_clean_page_is_ok_and_its_console_is_kept(executor: Running) -> None:
    result = await run(executor, CLEAN)
    assert result.outcome == pb.OUTCOME_OK, result.message
    assert not result.browser_errors
    assert "log: started" in result.console_messages


async def test_syntax_error_at_load_has_its_line(executor: Running) -> None:
    page = "<html><body>\n<script>\nlet a = 1;\nlet b = ;\n</script></body></html>"
    result = await run(executor, page)
    assert result.outcome == pb.OUTCOME_SYNTAX_ERROR
    error = result.browser_errors[0]
    assert error.name == "SyntaxError" and error.phase == pb.BROWSER_PHASE_LOAD
    assert error.line == 4


async def test_type_error_in_animation_frame_is_a_load_error_with_stack(executor: Running) -> None:
    page = ("<html><body><script>\nfunction tick() {\n  null.value = 1;\n}\nrequestAnimationFrame(tick);\n"
            "</script></body></html>")
    result = await run(executor, page)
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR
    error = result.browser_errors[0]
    assert error.name == "TypeError" and error.phase == pb.BROWSER_PHASE_LOAD
    assert error.line == 3 and "tick" in error.stack


async def test_error_in_click_handler_is_found_by_interaction(executor: Running) -> None:
    page = ("<html><body><button id='b'>Press</button><script>\ndocument.getElementById('b')"
            ".addEventListener('click', () => { notDefined(); });\n</script></body></html>")
    result = await run(executor, page)
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR
    assert [(e.name, e.phase) for e in result.browser_errors] == [("ReferenceError", pb.BROWSER_PHASE_INTERACTION)]
    quiet = await run(executor, page, browser=pb.BrowserOptions(auto_interact=False, settle_seconds=0.2))
    assert quiet.outcome == pb.OUTCOME_OK


async def test_an_error_shortly_after_the_last_action_is_still_caught(executor: Running) -> None:
    # The steps outlast the 0.2 s settle window; the page must still run 0.1 s after the last one.
    page = ("<html><body><script>\ndocument.addEventListener('keydown', (e) => {\n"
            "  if (e.key === 'b') setTimeout(() => { lateFailure(); }, 40);\n});\n</script></body></html>")
    step = pb.InteractionStep
    steps = [step(kind=step.KIND_PRESS, key="a"), step(kind=step.KIND_WAIT, seconds=0.3),
             step(kind=step.KIND_PRESS, key="b")]
    result = await run(executor, page, browser=pb.BrowserOptions(settle_seconds=0.2, steps=steps))
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR
    assert [(e.name, e.phase) for e in result.browser_errors] == [("ReferenceError", pb.BROWSER_PHASE_INTERACTION)]


async def test_the_load_phase_counts_from_navigation_with_half_of_it_after_the_load_event(executor: Running) -> None:
    # The page's script blocks for 0.5 s while it loads. With a 0.6 s settle the load phase ends 0.3 s after the
    # load event (half the settle time), not 0.6 s after it: the error thrown 0.1 s after load belongs to the load
    # phase, the one thrown 0.55 s after it to the next phase.
    page = ("<html><body><script>\nconst t = performance.now();\nwhile (performance.now() - t < 500) {}\n"
            "addEventListener('load', () => {\n  setTimeout(() => { early(); }, 100);\n"
            "  setTimeout(() => { late(); }, 550);\n});\n</script></body></html>")
    result = await run(executor, page, browser=pb.BrowserOptions(auto_interact=False, settle_seconds=0.6))
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR, result.message
    assert [(e.message, e.phase) for e in result.browser_errors] == [
        ("early is not defined", pb.BROWSER_PHASE_LOAD), ("late is not defined", pb.BROWSER_PHASE_INTERACTION)]


async def test_a_page_starved_of_frames_runs_until_it_has_drawn_enough(executor: Running) -> None:
    # Each frame burns 50 ms, so the page draws at most 20 frames/s: in 2 × 0.3 s of settle it would reach about
    # frame 12 and never show its bug at frame 16. Animating pages get time to draw 40 frames per settle second.
    page = ("<html><body><script>\nlet n = 0;\nfunction frame() {\n  const t = performance.now();\n"
            "  while (performance.now() - t < 50) {}\n  if (++n === 16) { null.boom(); }\n"
            "  requestAnimationFrame(frame);\n}\nrequestAnimationFrame(frame);\n</script></body></html>")
    result = await run(executor, page, browser=pb.BrowserOptions(auto_interact=True, settle_seconds=0.3))
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR, result.message
    assert [e.name for e in result.browser_errors] == ["TypeError"]


async def test_a_drag_on_a_canvas_reaches_its_move_handler(executor: Running) -> None:
    page = ("<html><body><canvas id='c' width='300' height='300'></canvas><script>\n"
            "let down = false, moves = 0;\nconst c = document.getElementById('c');\n"
            "c.addEventListener('mousedown', () => { down = true; });\n"
            "c.addEventListener('mouseup', () => { down = false; });\n"
            "c.addEventListener('mousemove', () => { if (down && ++moves === 2) { dragged.explode(); } });\n"
            "</script></body></html>")
    result = await run(executor, page, browser=pb.BrowserOptions(auto_interact=True, settle_seconds=0.2))
    assert [(e.name, e.phase) for e in result.browser_errors] == [("ReferenceError", pb.BROWSER_PHASE_INTERACTION)]


async def test_auto_interaction_reaches_the_page_in_order(executor: Running) -> None:
    # The input is sent in one burst; the page must still see every click and key, in the order they were sent
    # (targets in document order, then the keys its code names).
    page = ("<html><body><button id='b1'>1</button><button id='b2'>2</button><button id='b3'>3</button><script>\n"
            "const seen = [];\nfor (const b of document.querySelectorAll('button')) b.onclick = () => note(b.id);\n"
            "document.addEventListener('keydown', (e) => {\n"
            "  if (e.key === 'ArrowUp' || e.key === 'ArrowDown' || e.key === 'q') note(e.key);\n});\n"
            "function note(what) { seen.push(what); if (seen.length === 6) throw new Error(seen.join(',')); }\n"
            "</script></body></html>")
    result = await run(executor, page, browser=pb.BrowserOptions(auto_interact=True, settle_seconds=0.2))
    assert [e.message for e in result.browser_errors] == ["b1,b2,b3,ArrowUp,ArrowDown,q"]


async def test_error_in_key_handler_is_found_by_interaction(executor: Running) -> None:
    page = ("<html><body><script>\ndocument.addEventListener('keydown', (e) => {\n"
            "  if (e.key === 'ArrowUp') { undefinedThing.move(); }\n});\n</script></body></html>")
    result = await run(executor, page)
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR
    assert result.browser_errors[0].phase == pb.BROWSER_PHASE_INTERACTION
    assert result.browser_errors[0].line == 3


async def test_unhandled_rejection_and_console_error_are_named(executor: Running) -> None:
    page = ("<html><body><script>\nPromise.reject(new Error('lost'));\nconsole.error('bad state', 7);\n"
            "</script></body></html>")
    result = await run(executor, page)
    kinds = sorted((e.kind, e.message) for e in result.browser_errors)
    assert kinds == [("console.error", "bad state 7"), ("unhandledrejection", "lost")]
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR


async def test_external_resources_are_refused_and_reported(executor: Running) -> None:
    page = "<html><head><script src='https://cdn.example.com/three.js'></script></head><body></body></html>"
    result = await run(executor, page)
    assert any(e.kind == "blocked_request" and "cdn.example.com" in e.message for e in result.browser_errors)


async def test_multi_file_page_is_served_and_errors_point_into_the_right_file(executor: Running) -> None:
    files = [pb.File(path="index.html", content="<html><head><link rel='stylesheet' href='style.css'></head>"
                                                "<body><script src='js/app.js'></script></body></html>"),
             pb.File(path="style.css", content="body { background: #123; }"),
             pb.File(path="js/app.js", content="console.log('app');\nwindow.onload = () => { missing.call(); };\n")]
    result = await executor.stub.Execute(pb.ExecuteRequest(
        language=pb.LANGUAGE_HTML, files=files, browser=pb.BrowserOptions(settle_seconds=0.2)))
    assert "log: app" in result.console_messages
    error = result.browser_errors[0]
    assert error.name == "ReferenceError" and error.line == 2 and "js/app.js" in error.stack


async def test_screenshot_is_a_png(executor: Running) -> None:
    result = await run(executor, CLEAN, browser=pb.BrowserOptions(screenshot=True, settle_seconds=0.1))
    assert result.screenshot_png.startswith(b"\x89PNG\r\n\x1a\n")


async def test_explicit_steps_drive_the_page(executor: Running) -> None:
    page = ("<html><body><input id='name'><button id='b'>ok</button><script>\n"
            "document.getElementById('b').onclick = () => {\n"
            "  if (document.getElementById('name').value === 'ada') throw new Error('typed ' + 'ada');\n};\n"
            "</script></body></html>")
    steps = [pb.InteractionStep(kind=pb.InteractionStep.KIND_TYPE, selector="#name", text="ada"),
             pb.InteractionStep(kind=pb.InteractionStep.KIND_CLICK, selector="#b"),
             pb.InteractionStep(kind=pb.InteractionStep.KIND_WAIT, seconds=0.1)]
    result = await run(executor, page, browser=pb.BrowserOptions(steps=steps, settle_seconds=0.1))
    assert [e.message for e in result.browser_errors] == ["typed ada"]


async def test_frozen_page_hits_the_time_limit_and_the_browser_recovers(executor: Running) -> None:
    result = await run(executor, "<html><body><script>while (true) {}</script></body></html>",
                       limits=pb.Limits(wall_seconds=1.5))
    assert result.outcome == pb.OUTCOME_TIME_LIMIT
    for _ in range(5):  # more jobs than warm pages: the frozen one must have been replaced
        assert (await run(executor, CLEAN)).outcome == pb.OUTCOME_OK


async def test_a_page_that_hangs_after_load_hits_the_time_limit(executor: Running) -> None:
    # The page loads, then its renderer never answers again: every later step must stay within the wall time.
    page = "<html><body><script>setTimeout(() => { for (;;) {} }, 50);</script></body></html>"
    result = await executor.stub.Execute(html(page, limits=pb.Limits(wall_seconds=1.5)), timeout=15)
    assert result.outcome == pb.OUTCOME_TIME_LIMIT, result.message
    assert (await run(executor, CLEAN)).outcome == pb.OUTCOME_OK


async def test_nothing_carries_over_between_pages(executor: Running) -> None:
    writer = ("<html><body><script>\nlocalStorage.setItem('k', 'v'); document.cookie = 'c=1';\n"
              "window.leak = 1; setInterval(() => { throw new Error('old timer'); }, 50);\n</script></body></html>")
    reader = ("<html><body><script>\nconsole.log('state', localStorage.getItem('k'), document.cookie, "
              "typeof window.leak);\n</script></body></html>")
    for _ in range(4):  # every warm page has served a writer
        await run(executor, writer)
    for _ in range(4):
        result = await run(executor, reader, browser=pb.BrowserOptions(settle_seconds=0.3))
        assert "log: state null  undefined" in result.console_messages, result.console_messages
        assert not result.browser_errors


ONE_PAGE = make_config(EXECUTOR_BROWSER_PAGES="1")


@pytest_asyncio.fixture
async def one_page() -> AsyncIterator[BrowserPool]:
    """A pool of one browser with one warm page, so consecutive jobs share the page."""
    if os.geteuid() != 0:
        pytest.skip("the isolated browser needs root (its own netns and uid)")
    pool = BrowserPool(browser_settings(ONE_PAGE, isolate=True))
    await pool.start()
    yield pool
    await pool.close()


async def run_on(pool: BrowserPool, page: str, settle: float = 0.1, files: dict[str, str] | None = None,
                 limits: pb.Limits | None = None) -> tuple[pb.ExecuteResponse, WarmPage]:
    """Runs a job, waits for its page to be released and returns the response and the (free) page."""
    request = html(page, browser=pb.BrowserOptions(settle_seconds=settle), limits=limits or pb.Limits())
    request.files.extend(pb.File(path=path, content=content) for path, content in (files or {}).items())
    job = prepare(request, ONE_PAGE, Violations())
    assert job is not None
    result = await pool.execute(job)
    await asyncio.gather(*pool._resets)
    index, warm = await pool._free.get()
    pool._free.put_nowait((index, warm))
    return result, warm


async def test_a_finished_page_is_quiesced_and_the_next_job_starts_clean(one_page: BrowserPool) -> None:
    ticking = "<html><body><script>let n = 0; setInterval(() => { document.title = String(++n); }, 10);\n" \
              "requestAnimationFrame(function f() { document.body.dataset.n = n; requestAnimationFrame(f); });" \
              "</script></body></html>"
    result, warm = await run_on(one_page, ticking)
    assert result.outcome == pb.OUTCOME_OK, result.message
    before = await warm.page.title()
    await asyncio.sleep(0.3)
    assert await warm.page.title() == before != "", "the finished job's timers kept running"
    result, warm = await run_on(one_page, CLEAN)
    assert result.outcome == pb.OUTCOME_OK and not result.browser_errors, result.browser_errors


async def test_a_page_that_started_a_worker_is_navigated_away(one_page: BrowserPool) -> None:
    spinning = "<html><body><script>new Worker(URL.createObjectURL(new Blob(['for (;;) {}'])));</script></body></html>"
    result, warm = await run_on(one_page, spinning)
    assert result.outcome == pb.OUTCOME_OK, result.message
    assert warm.page.url == "about:blank"


async def test_console_errors_are_capped_and_counted(executor: Running) -> None:
    # Every console.error was kept: 20,000 of them once made a 16 MiB reply.
    page = "<html><body><script>\nfor (let i = 0; i < 1000; i++) console.error('e'.repeat(50) + i);\n</script></body>"
    result = await run(executor, page)
    assert result.outcome == pb.OUTCOME_RUNTIME_ERROR
    assert len(result.browser_errors) == MAX_ERRORS
    assert result.browser_errors[-1].message.endswith(str(MAX_ERRORS - 1))
    assert result.message.startswith("RUNTIME_ERROR: 1000 error(s) (100 reported); first at load"), result.message


# Job 1 opens a named popup that keeps asking for the next jobs' app.js and hands what it got to whoever asks.
SPY = """<html><body><script>
if (!location.search.includes('popup')) {
  window.open(location.pathname + '?popup', 'spy');
} else {
  const next = parseInt(location.hostname.split('.')[0].slice(4)) + 1;
  const loot = [];
  setInterval(() => {
    for (const n of [next, next + 1]) {
      const s = document.createElement('script');
      s.src = `http://job-${n}.synthmesh.test/app.js`;
      s.onload = () => { if (typeof secret === 'function') loot.push(secret.toString()); };
      document.head.appendChild(s);
    }
  }, 20);
  addEventListener('message', (e) => e.source.postMessage('loot ' + loot.join(), '*'));
}
</script></body></html>"""
COLLECT = """<html><body><script>
const spy = window.open('', 'spy');
addEventListener('message', (e) => console.log(e.data));
setTimeout(() => spy.postMessage('give', '*'), 50);
</script></body></html>"""


async def test_a_popup_is_closed_and_cannot_read_later_jobs(one_page: BrowserPool) -> None:
    # A popup kept running after its job (only the warm page's scripts were stopped), was served the next job's
    # files from the next job's origin and handed them to a later job; its refused requests failed later jobs.
    result, warm = await run_on(one_page, SPY, settle=0.3)
    assert result.outcome == pb.OUTCOME_OK and warm.context.pages == [warm.page], result.message
    victim = "<html><body><script src='app.js'></script></body></html>"
    result, warm = await run_on(one_page, victim, settle=0.5,
                                files={"app.js": "function secret() { return 'victim-answer-42'; }"})
    assert result.outcome == pb.OUTCOME_OK and not result.browser_errors, result.message
    assert warm.context.pages == [warm.page]
    result, warm = await run_on(one_page, COLLECT, settle=0.3)
    assert not any("victim-answer" in line for line in result.console_messages), result.console_messages
    assert warm.context.pages == [warm.page]


HOARD = "<html><body><script>\nwindow.keep = new Uint8Array(SIZE * 1024 * 1024).fill(1);\n</script></body></html>"


async def test_a_page_holding_more_than_its_memory_limit_gets_memory_limit(one_page: BrowserPool) -> None:
    # Pages had no memory limit at all: one with a 64 MiB limit held 3 GiB of typed arrays, was graded OK, and its
    # warm page kept the document alive after the job.
    limits = pb.Limits(memory_bytes=64 << 20)
    _, before = await run_on(one_page, CLEAN)
    result, after = await run_on(one_page, HOARD.replace("SIZE", "96"), limits=limits)
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT, result.message
    assert result.peak_memory_bytes > 96 << 20
    assert after is not before, "the page that held 96 MiB was reused"
    result, _ = await run_on(one_page, CLEAN)
    assert result.outcome == pb.OUTCOME_OK, result.message
    result, _ = await run_on(one_page, HOARD.replace("SIZE", "32"), limits=limits)
    assert result.outcome == pb.OUTCOME_OK, result.message
    assert 32 << 20 < result.peak_memory_bytes < 64 << 20


@pytest_asyncio.fixture
async def capped() -> AsyncIterator[BrowserPool]:
    """A pool of one browser with one warm page whose browser may use 512 MiB in all."""
    if os.geteuid() != 0:
        pytest.skip("the browser's cgroup needs root")
    pool = BrowserPool(dataclasses.replace(browser_settings(ONE_PAGE, isolate=True), memory_bytes=512 << 20))
    await pool.start()
    yield pool
    await pool.close()


async def test_the_browser_memory_cap_kills_a_growing_page_and_the_browser_recovers(capped: BrowserPool) -> None:
    # The browser had no memory limit: a page filled 3 GiB with typed arrays, whatever its own limit. Now its
    # browser's cgroup caps it; the renderer that grew is killed and its job gets MEMORY_LIMIT.
    page = "<html><body><script>\nconst keep = [];\n" \
           "for (let i = 0; i < 24; i++) keep.push(new Uint8Array(64 << 20).fill(1));\n</script></body></html>"
    result, _ = await run_on(capped, page, limits=pb.Limits(memory_bytes=2048 << 20))
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT, result.message
    assert "memory cap (512 MiB)" in result.message
    for _ in range(2):
        result, _ = await run_on(capped, CLEAN)
        assert result.outcome == pb.OUTCOME_OK, result.message


def renderers(pool: BrowserPool) -> list[int]:
    """The renderer processes in the pool's first browser's cgroup."""
    found = []
    for pid in [int(p) for p in pool._groups[0].procs_files()[0].read_text().split()]:
        with contextlib.suppress(OSError):  # it may have just exited
            if b"--type=renderer" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Waits for `condition` (the browser's events arrive asynchronously), failing after `seconds`."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_a_page_whose_renderer_died_while_waiting_is_replaced(capped: BrowserPool) -> None:
    # The memory cap may kill any renderer of the browser, also one whose page waits for its next job; that job
    # must not inherit the dead page. And a browser killed outright is relaunched inside its cgroup.
    assert renderers(capped)
    for pid in renderers(capped):
        os.kill(pid, signal.SIGKILL)
    await until(lambda: all(w.discard or w.page.is_closed() for _, w in list(capped._free._queue)))  # type: ignore[attr-defined]
    result, _ = await run_on(capped, CLEAN)
    assert result.outcome == pb.OUTCOME_OK, result.message
    capped._groups[0].kill_all()
    await until(lambda: not capped._browsers[0].is_connected())
    for _ in range(2):
        result, _ = await run_on(capped, CLEAN)
        assert result.outcome == pb.OUTCOME_OK, result.message
    assert renderers(capped), "the relaunched browser is not in its cgroup"
