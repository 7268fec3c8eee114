"""JavaScript the executor injects into pages: error bookkeeping at load, and target discovery for interaction.

The init script runs before any page script. It records which event types the page listens to (so the
executor presses only keys that matter and drags only where something listens), and it keeps the line and
column of every uncaught error and the reason of every unhandled rejection, which Chromium's own error event
to Playwright lacks for syntax errors, and it counts the workers the page starts and the animation frames it
draws.
"""

INIT_SCRIPT = r"""
(() => {
  const listened = new Set();
  const errors = [];
  const rejections = [];
  const original = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    try { listened.add(String(type)); } catch (e) {}
    return original.call(this, type, listener, options);
  };
  for (const name of ["keydown", "keyup", "keypress", "mousedown", "mouseup", "mousemove", "click", "wheel",
                      "pointerdown", "pointermove", "pointerup", "touchstart", "dblclick", "contextmenu"]) {
    for (const target of [window, Document.prototype, HTMLElement.prototype]) {
      const descriptor = Object.getOwnPropertyDescriptor(target, "on" + name);
      if (!descriptor || !descriptor.set) continue;
      Object.defineProperty(target, "on" + name, {
        configurable: true, enumerable: descriptor.enumerable, get: descriptor.get,
        set(value) { if (value) listened.add(name); return descriptor.set.call(this, value); },
      });
    }
  }
  window.addEventListener("error", (e) => {
    errors.push({ message: String(e.message || ""), line: e.lineno || 0, column: e.colno || 0,
                  url: String(e.filename || "") });
  }, true);
  window.addEventListener("unhandledrejection", (e) => {
    const r = e.reason;
    rejections.push(String(r && r.message !== undefined ? r.message : r));
  });
  // Workers outlive a page whose scripts are stopped; the executor resets such a page fully after the job.
  const counts = { workers: 0 };
  for (const name of ["Worker", "SharedWorker"]) {
    const Original = window[name];
    if (typeof Original !== "function") continue;
    window[name] = new Proxy(Original, { construct(target, args, newTarget) {
      counts.workers += 1;
      return Reflect.construct(target, args, newTarget);
    } });
  }
  // Animation frames drawn, and when the page last asked for one: a page starved of CPU draws fewer frames in
  // its settle time than the executor expects, and is then given longer (page_job.settle_frames).
  counts.frames = 0;
  counts.lastRequest = -1;
  const requestFrame = window.requestAnimationFrame;
  let lastStamp = -1;
  window.requestAnimationFrame = function (callback) {
    counts.lastRequest = performance.now();
    if (typeof callback !== "function") return requestFrame.call(window, callback);
    return requestFrame.call(window, (stamp) => {
      if (stamp !== lastStamp) { lastStamp = stamp; counts.frames += 1; }
      return callback(stamp);
    });
  };
  Object.defineProperty(window, "__synthmesh", {
    value: { listened, errors, rejections, counts }, enumerable: false, configurable: false, writable: false,
  });
})();
"""

# Returns what auto-interaction should touch: clickable elements and canvases with their boxes, and the
# event types the page listens to (also from inline on* attributes in the markup).
DISCOVER_SCRIPT = r"""
() => {
  const state = window.__synthmesh || { listened: new Set() };
  const listened = new Set(state.listened);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith("on")) listened.add(attr.slice(2));
    }
  }
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2, width: r.width, height: r.height };
  };
  const visible = (b) => b.width > 0 && b.height > 0 && b.x >= 0 && b.y >= 0 &&
    b.x <= window.innerWidth && b.y <= window.innerHeight;
  const selector = "button, input[type=button], input[type=submit], input[type=checkbox], input[type=radio], " +
                   "input[type=range], select, [onclick], [role=button]";
  const clickables = [...document.querySelectorAll(selector)].map(box).filter(visible).slice(0, 40);
  const canvases = [...document.querySelectorAll("canvas, svg")].map(box).filter(visible).slice(0, 4);
  return { clickables, canvases, listened: [...listened] };
}
"""

RECORDS_SCRIPT = r"""
() => {
  const state = window.__synthmesh;
  return state ? { errors: state.errors.slice(0, 200), rejections: state.rejections.slice(0, 200),
                   workers: state.counts.workers }
               : { errors: [], rejections: [], workers: 0 };
}
"""

# Frames drawn so far, whether the page is animating (asked for a frame in the last half second), and for how
# many more milliseconds it counts as such without asking again.
FRAMES_SCRIPT = r"""
() => {
  const state = window.__synthmesh;
  if (!state) return { frames: 0, animating: false, animatingFor: 0 };
  const c = state.counts;
  const left = c.lastRequest >= 0 ? 500 - (performance.now() - c.lastRequest) : 0;
  return { frames: c.frames, animating: left > 0, animatingFor: Math.max(0, left) };
}
"""

# The end of a job: its frame state and its records in one round trip (each DevTools call costs the browser
# process milliseconds of CPU), read again only if the page still owes frames.
END_SCRIPT = f"() => Object.assign(({FRAMES_SCRIPT.strip()})(), {{ records: ({RECORDS_SCRIPT.strip()})() }})"

# The end of the load phase: its frame state and what auto-interaction will touch, in one round trip.
LOAD_END_SCRIPT = f"() => Object.assign(({FRAMES_SCRIPT.strip()})(), {{ discovered: ({DISCOVER_SCRIPT.strip()})() }})"
