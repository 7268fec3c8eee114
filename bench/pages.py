"""Pages for the HTML benchmark, and the reference way of checking one: a fresh browser per page.

The reference does the same work as the executor for each page (load from a routed origin, the same
auto-interaction, the same settle time, error capture) but launches and closes Chromium every time, which is
what a checker without a warm pool does. Both use the same Chromium binary, so the ratio is the warm pool's.
"""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import async_playwright

from services.executor.browser.page_job import interact
from services.executor.browser.pool import BASE_FLAGS, BLACKHOLE_FLAGS
from services.executor.browser.scripts import INIT_SCRIPT
from services.executor.config import DEFAULT_CHROMIUM
from synthmesh.executor.v1 import executor_pb2 as pb

_CANVAS = """<!DOCTYPE html><html><head><style>body{margin:0;background:#%(bg)s}canvas{display:block}</style></head>
<body><button id="speed">Speed</button><button id="color">Colour</button>
<canvas id="c" width="400" height="400"></canvas>
<script>
const c = document.getElementById('c'), ctx = c.getContext('2d');
let t = 0, speed = %(speed)s, hue = 0, balls = [];
for (let i = 0; i < %(n)s; i++) balls.push({x: Math.random() * 400, y: Math.random() * 400, vx: 1, vy: 1.5});
document.getElementById('speed').addEventListener('click', () => { speed *= 1.5; %(click)s });
document.getElementById('color').addEventListener('click', () => { hue = (hue + 40) %% 360; });
document.addEventListener('keydown', (e) => { if (e.key === ' ') { e.preventDefault(); speed = 0; %(key)s } });
function frame(now) {
  t += speed; ctx.fillStyle = 'hsl(' + hue + ',60%%,20%%)'; ctx.fillRect(0, 0, 400, 400);
  for (const b of balls) { b.x = (b.x + b.vx * speed + 400) %% 400; b.y = (b.y + b.vy * speed + 400) %% 400;
    ctx.beginPath(); ctx.arc(b.x, b.y, 6, 0, 7); ctx.fillStyle = '#fc0'; ctx.fill(); }
  %(frame)s
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
</script></body></html>"""


def _page(index: int, click: str = "", key: str = "", frame: str = "") -> str:
    return _CANVAS % {"bg": f"{index * 37 % 999:03d}", "speed": 1 + index % 3, "n": 5 + index % 20,
                      "click": click, "key": key, "frame": frame}


PAGES = [_page(i) for i in range(6)] + [
    _page(6, click="undefinedCounter++; /* BUG */"),
    _page(7, key="player.jump(); /* BUG */"),
    _page(8, frame="if (t > 30) { null.draw(); } /* BUG */"),
    _page(9, click="Promise.reject(new Error('lost')); /* BUG */"),
]


async def reference_page_run(page: str, settle: float) -> int:
    """Launches Chromium for one page, checks it like the executor does, closes it; returns errors found."""
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=DEFAULT_CHROMIUM, args=BASE_FLAGS + BLACKHOLE_FLAGS)
        try:
            context = await browser.new_context(viewport={"width": 800, "height": 800})
            await context.add_init_script(INIT_SCRIPT)
            tab = await context.new_page()
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await tab.route("**/*", lambda route: route.fulfill(status=200, body=page, content_type="text/html"))
            await tab.goto("http://job.synthmesh.test/index.html", wait_until="load")
            await asyncio.sleep(settle)
            await interact(tab, await context.new_cdp_session(tab), pb.BrowserOptions(auto_interact=True),
                           time.monotonic() + 10)
            await asyncio.sleep(settle)
        finally:
            await browser.close()
    return len(errors)
