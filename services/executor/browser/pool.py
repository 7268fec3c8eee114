"""Long-lived Chromium browsers with warm pages, driven by Playwright (never pyppeteer; see design README).

Each browser runs non-root in its own empty network namespace and in a memory and pids cgroup of its own
(chromium-launcher.sh, memory.py) with the proxy-blackhole flags as a second line of defence, and keeps `pages`
warm contexts with one page each. A job takes a free page and navigates it to a fresh origin, which replaces the
previous job's document. When a job ends its page is quiesced rather than navigated away: script execution is
switched off (no timer or frame loop of the job runs while the page waits) and switched back on just before the
next job's navigation. Navigating to about:blank after every job, as before, cost about as much CPU as the job's
own load (measured: 4.1 → 6.0 pages/s on the benchmark). Events reach a job only once its own document has
committed, so a stale frame callback of the previous document can never be blamed on the next job. A page that
started workers, did not finish or cannot be quiesced is navigated to about:blank (or replaced) instead. Any
other page of the context (a popup the job opened) is closed as soon as it appears and again when the job is
released, and only the warm page's own frames are served the job's files. Pages are replaced after
`recycle_after` jobs and browsers are relaunched when they disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    CDPSession,
    ConsoleMessage,
    Error,
    Frame,
    Page,
    Playwright,
    Request,
    Route,
    async_playwright,
)

from services.executor import scratch
from services.executor.browser.memory import DISCARD_BYTES, MIB, browser_groups, held_bytes
from services.executor.browser.page_job import SITE, Collector, run_page
from services.executor.browser.scripts import INIT_SCRIPT
from services.executor.sandbox.cgroups import SlotGroup
from services.executor.validation import PreparedJob
from synthmesh.executor.v1 import executor_pb2 as pb

log = logging.getLogger(__name__)
LAUNCHER = Path(__file__).resolve().parent / "chromium-launcher.sh"
# Site isolation would start a new renderer process for most jobs (each runs on its own origin): measured 111
# new renderers for 160 jobs and twice the CPU per job. Without it each warm page keeps its renderer; pages of
# different contexts still never share one, and the browser's netns and uid remain the boundary.
BASE_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-extensions",
              "--disable-dev-shm-usage", "--mute-audio", "--disable-site-isolation-trials"]
QUIESCE_SECONDS = 2.0
# Every request that escapes routing goes to a dead proxy, every DNS lookup fails, no UDP outside the proxy.
BLACKHOLE_FLAGS = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                   "--host-resolver-rules=MAP * ~NOTFOUND", "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]
TYPES = {".html": "text/html", ".htm": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
         ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".txt": "text/plain"}


@dataclass(frozen=True)
class BrowserSettings:
    """How browsers are launched."""

    browsers: int
    pages: int
    chromium: str
    uid: int
    isolate: bool  # non-root uid in its own netns (needs root); False only in EXECUTOR_SANDBOX=none
    recycle_after: int = 200
    memory_bytes: int = 4096 * MIB  # each browser's memory cap (its cgroup's), when isolated


class WarmPage:
    """A context with one page, reused across jobs; routes and listeners point at the current job.

    `job` is set when a job starts; its events are delivered from the moment its document commits (`armed`).
    """

    def __init__(self, context: BrowserContext, page: Page, cdp: CDPSession) -> None:
        self.context = context
        self.page = page
        self.cdp = cdp
        self.job: Collector | None = None
        self.armed = False
        self.uses = 0
        self.viewport = (0, 0)
        self.scripts_on: asyncio.Future[Any] | None = None
        self.discard = False  # replace rather than reuse (it held too much, could not be measured, crashed)
        self._closing: set[asyncio.Future[None]] = set()
        context.on("page", self._on_new_page)
        page.on("framenavigated", self._on_navigated)
        page.on("pageerror", self._on_page_error)
        page.on("console", self._on_console)
        page.on("crash", self._on_crash)

    def _on_crash(self, page: Page) -> None:
        # Also while the page waits for a job: the browser's memory cap may kill any of its renderers.
        self.discard = True
        if self.job:
            self.job.on_crash(page)

    def _on_new_page(self, page: Page) -> None:
        """Closes a page the job opened (window.open, a link with a target) as soon as it appears.

        Disabling scripts at the end of a job covers the warm page only: a popup kept running into later jobs,
        could fetch their files from their origins and hand them to a later job through its window name.
        """
        if page is not self.page:
            closing = asyncio.ensure_future(page.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closed)

    def _closed(self, closing: asyncio.Future[None]) -> None:
        # A close that failed is retried when the page is released (close_other_pages), or the page is replaced.
        self._closing.discard(closing)
        if not closing.cancelled():
            closing.exception()

    async def close_other_pages(self) -> None:
        """Closes every page of the context but the warm one (raises if one cannot be closed)."""
        for page in self.context.pages:
            if page is not self.page:
                await asyncio.wait_for(page.close(), QUIESCE_SECONDS)

    def _on_page_error(self, error: Error) -> None:
        if self.job and self.armed:
            self.job.on_page_error(error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if self.job and self.armed:
            self.job.on_console(message)

    def _on_navigated(self, frame: Frame) -> None:
        if self.job and frame == self.page.main_frame and frame.url.startswith(self.job.origin + "/"):
            self.armed = True

    async def start(self, job: Collector, width: int, height: int) -> None:
        """Points the page at `job` and lets scripts run again (the navigation that follows replaces the page).

        The navigation need not wait for scripts to be switched on (a DevTools round trip of 7-23 ms while
        pages animate): the job's files are served only once it is done (see `route`), so no document of the
        job exists before.
        """
        if self.viewport != (width, height):
            await self.page.set_viewport_size({"width": width, "height": height})
            self.viewport = (width, height)
        self.job, self.armed = job, False
        self.scripts_on = asyncio.ensure_future(self.cdp.send("Emulation.setScriptExecutionDisabled",
                                                              {"value": False}))

    async def quiesce(self) -> None:
        """Stops the finished job's scripts (timers, frame loops); the renderer must answer promptly."""
        self.job, self.armed = None, False
        if self.scripts_on:
            await asyncio.wait_for(self.scripts_on, QUIESCE_SECONDS)  # a failure here replaces the page
        await asyncio.wait_for(self.cdp.send("Emulation.setScriptExecutionDisabled", {"value": True}),
                               QUIESCE_SECONDS)

    async def route(self, route: Route) -> None:
        """Serves the job's files from memory; refuses and records anything else the warm page asks for.

        Requests of any other page (a popup, whose first navigation has no frame yet) are refused and not
        recorded: they are not the job's, and must neither get its files nor be charged to it.
        """
        job, url = self.job, route.request.url
        if not self._owns(route.request):
            await route.abort("blockedbyclient")
            return
        if job and url.startswith(job.origin + "/"):
            if self.scripts_on and not await self._scripts_switched_on():
                await route.abort("failed")
                return
            path = url[len(job.origin) + 1:].split("?", 1)[0].split("#", 1)[0]
            if path in job.files:
                kind = TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")
                await route.fulfill(status=200, body=job.files[path], content_type=kind)
                return
            if path == "favicon.ico":
                await route.fulfill(status=204, body="")
                return
        if job and len(job.blocked) < 50:
            job.blocked.append(url[:300])
        await route.abort("blockedbyclient")

    def _owns(self, request: Request) -> bool:
        """Whether `request` comes from a frame of the warm page (or one of its workers)."""
        try:
            return request.frame.page is self.page
        except Exception:  # Playwright raises when the request has no frame (yet): not this page's
            return False

    async def _scripts_switched_on(self) -> bool:
        """Waits for `start`'s switch; False if it failed.

        The job's page then fails to load, and the page is replaced when it is released.
        """
        assert self.scripts_on is not None
        try:
            await asyncio.shield(self.scripts_on)
        except Exception:  # any failure of the switch means this page cannot run the job
            return False
        return True


class BrowserPool:
    """Browsers × warm pages; `execute` runs one HTML job."""

    def __init__(self, settings: BrowserSettings) -> None:
        self.settings = settings
        self._playwright: Playwright | None = None
        self._browsers: list[Browser] = []
        self._free: asyncio.Queue[tuple[int, WarmPage]] = asyncio.Queue()
        self.waiting = 0  # page jobs waiting for a free page
        self._counter = itertools.count(1)
        self._home = scratch.make("browser")
        self._resets: set[asyncio.Task[None]] = set()
        self._closing = False
        self._groups: list[SlotGroup] = []  # each browser's cgroup, when isolated
        self._relaunching = [asyncio.Lock() for _ in range(settings.browsers)]
        self.version = ""

    async def start(self) -> None:
        """Launches the browsers and warms every page."""
        if self.settings.isolate:
            os.chown(self._home, self.settings.uid, self.settings.uid)
            self._groups = browser_groups(self.settings.browsers, self.settings.memory_bytes)
        self._playwright = await async_playwright().start()
        for index in range(self.settings.browsers):
            self._browsers.append(await self._launch(index))
            for _ in range(self.settings.pages):
                self._free.put_nowait((index, await self._new_page(index)))
        self.version = self._browsers[0].version if self._browsers else ""
        log.info("browsers ready", extra={"browsers": len(self._browsers), "pages": self.settings.pages,
                                          "chromium": self.version, "isolated": self.settings.isolate})

    async def _launch(self, index: int) -> Browser:
        assert self._playwright
        flags = BASE_FLAGS + BLACKHOLE_FLAGS
        if self.settings.isolate:
            group = self._groups[index]
            await asyncio.to_thread(group.kill_all)  # what is left of a browser that died goes first
            env: dict[str, str | float | bool] = {
                "SYNTHMESH_BROWSER_UID": str(self.settings.uid), "SYNTHMESH_BROWSER_HOME": str(self._home),
                "SYNTHMESH_CHROMIUM": self.settings.chromium,
                "SYNTHMESH_BROWSER_CGROUP": " ".join(str(path) for path in group.procs_files())}
            return await self._playwright.chromium.launch(
                executable_path=str(LAUNCHER), chromium_sandbox=True, env=env, args=flags)
        # Without the launcher Chromium runs as this user; as root its sandbox cannot start.
        return await self._playwright.chromium.launch(
            executable_path=self.settings.chromium, chromium_sandbox=os.geteuid() != 0, args=flags)

    async def _connected(self, index: int) -> Browser:
        """Browser `index`, relaunched if it has gone; one relaunch at a time (it empties the browser's cgroup)."""
        async with self._relaunching[index]:
            browser = self._browsers[index]
            if not browser.is_connected():
                log.warning("browser disconnected; relaunching", extra={"browser": index})
                self._browsers[index] = browser = await self._launch(index)
            return browser

    async def _new_page(self, index: int) -> WarmPage:
        browser = await self._connected(index)
        context = await browser.new_context(viewport={"width": 800, "height": 800}, java_script_enabled=True,
                                            service_workers="block", accept_downloads=False)
        await context.add_init_script(INIT_SCRIPT)
        page = await context.new_page()
        warm = WarmPage(context, page, await context.new_cdp_session(page))
        await context.route("**/*", warm.route)
        return warm

    async def execute(self, job: PreparedJob) -> pb.ExecuteResponse:
        """Loads the page, exercises it and reports every error with its phase."""
        start = time.monotonic()
        self.waiting += 1
        try:
            index, warm = await self._free.get()
        finally:
            self.waiting -= 1
        req = job.request
        collector = Collector(origin=f"http://job-{next(self._counter)}.{SITE}",
                              files={f.path: f.content for f in req.files})
        try:
            if warm.discard or warm.page.is_closed():  # its renderer died while it waited
                warm = await self._replace(index, warm)
            kills = self._oom_kills(index)
            await warm.start(collector, req.browser.viewport_width or 800, req.browser.viewport_height or 800)
            outcome, message, shot = await run_page(warm.page, warm.cdp, collector, req.entrypoint, req.browser,
                                                    job.limits.wall)
            if collector.finished:
                outcome, message = await self._charge_memory(warm, collector, job.limits.memory, outcome, message)
            # Up to `pages` jobs share a browser's cap: blame it only on a job whose own page died meanwhile.
            crashed = warm.page.is_closed() or "crashed" in message or any(e.kind == "crash" for e in collector.errors)
            if outcome in (pb.OUTCOME_RUNTIME_ERROR, pb.OUTCOME_SANDBOX_ERROR) and crashed \
                    and self._oom_kills(index) > kills:
                outcome, message = pb.OUTCOME_MEMORY_LIMIT, "the browser's memory cap " \
                    f"({self.settings.memory_bytes / MIB:.0f} MiB) killed a process of the browser running the page"
        finally:
            # Resetting the page is off the job's critical path; keep a reference so the task is not collected.
            task = asyncio.create_task(self._release(index, warm, collector))
            self._resets.add(task)
            task.add_done_callback(self._resets.discard)
        return self._response(job, collector, outcome, message, shot, time.monotonic() - start)

    async def _charge_memory(self, warm: WarmPage, collector: Collector, limit: int, outcome: pb.Outcome.ValueType,
                             message: str) -> tuple[pb.Outcome.ValueType, str]:
        """MEMORY_LIMIT when the page still holds more than the job's memory limit at its end.

        A page that holds a lot is replaced when released, so its document never lives on into later jobs.
        """
        try:
            collector.held = await held_bytes(warm.cdp, collector.held, limit, QUIESCE_SECONDS)
        except TimeoutError:  # a page that hangs its renderer at the end must not escape the check
            warm.discard = True
            return pb.OUTCOME_TIME_LIMIT, "the page stopped answering when its memory was read"
        except Error as exc:
            warm.discard = True
            return pb.OUTCOME_RUNTIME_ERROR, f"the page crashed: {str(exc).splitlines()[0]}"
        warm.discard = collector.held > min(limit, DISCARD_BYTES)
        if collector.held > limit:
            return pb.OUTCOME_MEMORY_LIMIT, f"the page held {collector.held / MIB:.0f} MiB at its end, over its " \
                                            f"{limit / MIB:.0f} MiB memory limit"
        return outcome, message

    def _oom_kills(self, index: int) -> int:
        """Processes of browser `index` its memory cap has killed so far (0 when it has no cgroup)."""
        return self._groups[index].oom_kills() if self._groups else 0

    async def _release(self, index: int, warm: WarmPage, job: Collector) -> None:
        warm.uses += 1
        if self._closing:
            return
        try:
            if warm.discard or warm.uses >= self.settings.recycle_after or warm.page.is_closed():
                raise RuntimeError("recycle")
            await warm.quiesce()
            await warm.close_other_pages()
            await warm.context.clear_cookies()
            if not job.finished or job.workers:
                await warm.page.goto("about:blank", timeout=QUIESCE_SECONDS * 1000)
        except Exception:  # a page that cannot be reset is replaced, never reused
            warm = await self._replace(index, warm)
        self._free.put_nowait((index, warm))

    async def _replace(self, index: int, warm: WarmPage) -> WarmPage:
        """A new page (in a new context) for browser `index`, in place of `warm`, whose context is closed."""
        with contextlib.suppress(Exception):
            await warm.context.close()
        try:
            return await self._new_page(index)
        except Exception:
            log.exception("cannot replace a browser page")
            await asyncio.sleep(1.0)
            return await self._new_page(index)

    def _response(self, job: PreparedJob, collector: Collector, outcome: pb.Outcome.ValueType, message: str,
                  shot: bytes, wall: float) -> pb.ExecuteResponse:
        errors = list(collector.errors) + [
            pb.BrowserError(kind="blocked_request", message=f"request refused (pages must be self-contained): {u}",
                            phase=collector.phase) for u in collector.blocked]
        if outcome == pb.OUTCOME_OK and errors:
            syntax = any(e.name == "SyntaxError" and e.phase == pb.BROWSER_PHASE_LOAD for e in errors)
            outcome = pb.OUTCOME_SYNTAX_ERROR if syntax else pb.OUTCOME_RUNTIME_ERROR
            first = errors[0]
            where = f" (line {first.line})" if first.line else ""
            phase = pb.BrowserPhase.Name(first.phase).removeprefix("BROWSER_PHASE_").lower()
            count = f"{len(errors) + collector.dropped} error(s)" + (
                f" ({len(errors)} reported)" if collector.dropped else "")
            message = f"{count}; first at {phase}: {first.name + ': ' if first.name else ''}{first.message}{where}"
        name = pb.Outcome.Name(outcome).removeprefix("OUTCOME_")
        return pb.ExecuteResponse(
            outcome=outcome, message=f"{name}: {message}" if message else name, browser_errors=errors,
            console_messages=collector.console, screenshot_png=shot, wall_seconds=wall, tag=job.request.tag,
            peak_memory_bytes=collector.held,  # held at the end: a lower bound of the peak
            sandbox="chromium-netns" if self.settings.isolate else "chromium")

    def runtime(self) -> str:
        """The browser's version."""
        return f"chromium {self.version}"

    async def close(self) -> None:
        """Closes every browser and Playwright."""
        self._closing = True
        for task in list(self._resets):
            task.cancel()
        await asyncio.gather(*self._resets, return_exceptions=True)
        for browser in self._browsers:
            with contextlib.suppress(Exception):
                await browser.close()
        if self._playwright:
            await self._playwright.stop()
        for group in self._groups:
            await asyncio.to_thread(group.remove)
        shutil.rmtree(self._home, ignore_errors=True)


def browser_settings(config: Any, isolate: bool) -> BrowserSettings:
    """Browser settings from the executor's configuration."""
    return BrowserSettings(browsers=config.browser_slots, pages=config.browser_pages, chromium=config.chromium,
                           uid=config.browser_uid, isolate=isolate, memory_bytes=config.browser_memory_bytes)
