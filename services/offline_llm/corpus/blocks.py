"""Feature and user-action blocks shared by many entries; each entry words them for its own subject.

Every block works on the prelude's contract only: `items` with x, y, vx, vy, r > 0 and hue; `S`; the hooks;
spawn(x, y) and init() from the core. So any block can join or leave any page. Entries reword a block for their
subject with `Block.worded`.
"""

from __future__ import annotations

from services.offline_llm.corpus.model import Block

TRAILS = Block(
    "trails",
    "Each {noun} leaves a fading trail behind it as it moves.",
    """updaters.push(() => {
  for (const it of items) {
    it.trail = it.trail || [];
    it.trail.push({ x: it.x, y: it.y });
    if (it.trail.length > 24) it.trail.shift();
  }
});
underlays.push(() => {
  for (const it of items) {
    if (!it.trail || it.trail.length < 2) continue;
    ctx.strokeStyle = `hsla(${it.hue}, 80%, 70%, 0.3)`;
    ctx.lineWidth = Math.max(1, it.r * 0.4);
    ctx.beginPath();
    ctx.moveTo(it.trail[0].x, it.trail[0].y);
    for (const p of it.trail) ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
});""")

GLOW = Block(
    "glow",
    "{Nouns} glow with a soft, pulsing halo.",
    """underlays.push(() => {
  for (const it of items) {
    const radius = Math.max(2, it.r * 3 * (1 + 0.25 * Math.sin(S.t * 3 + it.x * 0.01)));
    const g = ctx.createRadialGradient(it.x, it.y, 0, it.x, it.y, radius);
    g.addColorStop(0, `hsla(${it.hue}, 90%, 65%, 0.45)`);
    g.addColorStop(1, `hsla(${it.hue}, 90%, 65%, 0)`);
    ctx.fillStyle = g;
    ctx.beginPath();
    ctx.arc(it.x, it.y, radius, 0, Math.PI * 2);
    ctx.fill();
  }
});""")

COUNTER = Block(
    "counter",
    "A live counter shows how many {nouns} are on screen.",
    "hudLines.push(() => `${cap(NOUNS)}: ${items.length}`);")

DAY_NIGHT = Block(
    "day_night",
    "The scene slowly cycles between day and night, growing darker at night.",
    """overlays.push(() => {
  const night = (Math.sin(S.t * 0.25) + 1) / 2;
  ctx.fillStyle = `rgba(8, 12, 40, ${(0.5 * night).toFixed(3)})`;
  ctx.fillRect(0, 0, W, H);
});""")

SPEED_SLIDER = Block(
    "speed_slider",
    "A speed slider (0.25× to 3×) controls how fast everything moves.",
    """const speedInput = slider('Speed', 0.25, 3, 0.05, S.speed, (v) => { S.speed = v; });
speedInput.setAttribute('aria-label', 'Speed');""")

MOTES = Block(
    "motes",
    "Tiny ambient particles drift slowly upward in the background.",
    """const dust = Array.from({ length: 60 }, () => ({ x: rand(0, W), y: rand(0, H), v: rand(4, 14),
  a: rand(0.1, 0.45) }));
updaters.push((dt) => {
  for (const m of dust) {
    m.y -= m.v * dt;
    m.x += Math.sin(S.t + m.v) * 6 * dt;
    if (m.y < 0) { m.y = H; m.x = rand(0, W); }
  }
});
underlays.push(() => {
  for (const m of dust) {
    ctx.fillStyle = `rgba(255, 255, 255, ${m.a})`;
    ctx.fillRect(m.x, m.y, 2, 2);
  }
});""")

COLOR_CYCLE = Block(
    "color_cycle",
    "The {nouns} slowly shift colour through the spectrum.",
    """updaters.push((dt) => {
  for (const it of items) it.hue = (it.hue + 25 * dt) % 360;
});""")

FPS_METER = Block(
    "fps_meter",
    "A small frame-rate meter is shown in the bottom-right corner.",
    """let frames = 0;
let elapsed = 0;
let fps = 0;
let prev = performance.now();
overlays.push(() => {
  const now = performance.now();
  frames += 1;
  elapsed += now - prev;
  prev = now;
  if (elapsed >= 500) { fps = Math.round(frames * 1000 / elapsed); frames = 0; elapsed = 0; }
  ctx.fillStyle = 'rgba(255, 255, 255, 0.75)';
  ctx.font = '12px monospace';
  ctx.textAlign = 'right';
  ctx.fillText(`${fps} fps`, W - 10, H - 50);
  ctx.textAlign = 'left';
});""")

WIND = Block(
    "wind",
    "Periodic gusts of wind push the {nouns} sideways.",
    """const gust = { x: 0 };
updaters.push((dt) => {
  gust.x = Math.sin(S.t * 0.7) * (Math.sin(S.t * 0.21) > 0.5 ? 45 : 8);
  for (const it of items) it.x += gust.x * dt;
});
hudLines.push(() => `Wind: ${gust.x >= 0 ? '→' : '←'} ${Math.abs(gust.x).toFixed(0)}`);""")

PULSE = Block(
    "pulse",
    "The {nouns} gently pulse in size.",
    """updaters.push(() => {
  for (const it of items) {
    it.baseR = it.baseR || it.r;
    it.r = Math.max(1, it.baseR * (1 + 0.15 * Math.sin(S.t * 4 + it.baseR)));
  }
});""")

GRID = Block(
    "grid",
    "A faint grid overlay helps judge distances.",
    """overlays.push(() => {
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.07)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let g = 50; g < W; g += 50) { ctx.moveTo(g, 0); ctx.lineTo(g, H); ctx.moveTo(0, g); ctx.lineTo(W, g); }
  ctx.stroke();
});""")

CLOCK = Block(
    "clock",
    "An elapsed-time clock is displayed in the corner.",
    "hudLines.push(() => `Time: ${S.t.toFixed(1)} s`);")

RESET_BUTTON = Block(
    "reset_button",
    "A Reset button restores the starting scene.",
    """button('Reset', () => {
  items.length = 0;
  S.t = 0;
  S.score = 0;
  init();
});""")

SHADOWS = Block(
    "shadows",
    "Each {noun} casts a soft shadow beneath it.",
    """underlays.push(() => {
  ctx.fillStyle = 'rgba(0, 0, 0, 0.25)';
  for (const it of items) {
    ctx.beginPath();
    ctx.ellipse(it.x + it.r * 0.4, it.y + it.r * 1.1, it.r, it.r * 0.35, 0, 0, Math.PI * 2);
    ctx.fill();
  }
});""")

VIGNETTE = Block(
    "vignette",
    "A soft vignette darkens the edges of the scene.",
    """overlays.push(() => {
  const g = ctx.createRadialGradient(W / 2, H / 2, W * 0.3, W / 2, H / 2, W * 0.75);
  g.addColorStop(0, 'rgba(0, 0, 0, 0)');
  g.addColorStop(1, 'rgba(0, 0, 0, 0.55)');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
});""")

HOVER_INFO = Block(
    "hover_info",
    "Hovering over a {noun} highlights it and shows its speed.",
    """const mouse = { x: -1000, y: -1000 };
canvas.addEventListener('mousemove', (e) => { Object.assign(mouse, pointer(e)); });
canvas.addEventListener('mouseleave', () => { mouse.x = -1000; mouse.y = -1000; });
overlays.push(() => {
  let best = null;
  let bestD = 40;
  for (const it of items) {
    const d = Math.hypot(it.x - mouse.x, it.y - mouse.y) - it.r;
    if (d < bestD) { best = it; bestD = d; }
  }
  if (!best) return;
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(best.x, best.y, best.r + 6, 0, Math.PI * 2);
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  ctx.font = '13px Arial';
  ctx.fillText(`${Math.hypot(best.vx, best.vy).toFixed(0)} px/s`, best.x + best.r + 10, best.y - 8);
});""")

HISTORY_GRAPH = Block(
    "history_graph",
    "A small graph plots the number of {nouns} over time.",
    """const samples = [];
let sampleClock = 0;
updaters.push((dt) => {
  sampleClock += dt;
  if (sampleClock >= 0.25) { sampleClock = 0; samples.push(items.length); if (samples.length > 80) samples.shift(); }
});
overlays.push(() => {
  const x0 = W - 180;
  const y0 = H - 140;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.45)';
  ctx.fillRect(x0, y0, 170, 70);
  if (samples.length < 2) return;
  const top = Math.max(1, ...samples);
  ctx.strokeStyle = '#7cf29a';
  ctx.lineWidth = 2;
  ctx.beginPath();
  samples.forEach((v, i) => {
    const x = x0 + 5 + i * (160 / 79);
    const y = y0 + 65 - (v / top) * 60;
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
});""")

# User actions. Their text becomes a numbered "User Actions" line of the question.

CLICK_SPAWN = Block(
    "click_spawn",
    "Click anywhere to add a new {noun} at the cursor.",
    """canvas.addEventListener('click', (e) => {
  const p = pointer(e);
  spawn(p.x, p.y);
});""")

SPACE_PAUSE = Block(
    "space_pause",
    "Press the spacebar to pause or resume the animation.",
    """onKey(' ', () => { S.paused = !S.paused; });
overlays.push(() => {
  if (!S.paused) return;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.35)';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 36px Arial';
  ctx.textAlign = 'center';
  ctx.fillText('Paused', W / 2, H / 2);
  ctx.textAlign = 'left';
});""")

SCATTER_KEY = Block(
    "scatter_key",
    "Press S to scatter all {nouns} in random directions.",
    """onKey('s', () => {
  for (const it of items) {
    const a = rand(0, Math.PI * 2);
    it.vx += Math.cos(a) * 160;
    it.vy += Math.sin(a) * 160;
  }
});""")

DRAG_ATTRACT = Block(
    "drag_attract",
    "Click and drag to pull nearby {nouns} toward the cursor.",
    """const pull = { active: false, x: 0, y: 0 };
canvas.addEventListener('pointerdown', (e) => { Object.assign(pull, pointer(e), { active: true }); });
canvas.addEventListener('pointermove', (e) => { if (pull.active) Object.assign(pull, pointer(e)); });
window.addEventListener('pointerup', () => { pull.active = false; });
updaters.push((dt) => {
  if (!pull.active) return;
  for (const it of items) {
    const dx = pull.x - it.x;
    const dy = pull.y - it.y;
    const d = Math.hypot(dx, dy);
    if (d > 1 && d < 220) { it.vx += (dx / d) * 320 * dt; it.vy += (dy / d) * 320 * dt; }
  }
});
overlays.push(() => {
  if (!pull.active) return;
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.5)';
  ctx.beginPath();
  ctx.arc(pull.x, pull.y, 220, 0, Math.PI * 2);
  ctx.stroke();
});""")

COLOR_KEY = Block(
    "color_key",
    "Press C to switch the {nouns} to a new random colour palette.",
    """onKey('c', () => {
  const base = rand(0, 360);
  for (const it of items) it.hue = (base + rand(-30, 30) + 360) % 360;
});""")

WHEEL_SPEED = Block(
    "wheel_speed",
    "Scroll the mouse wheel over the scene to speed up or slow down time.",
    """canvas.addEventListener('wheel', (e) => {
  e.preventDefault();
  S.speed = clamp(S.speed * (e.deltaY < 0 ? 1.1 : 0.9), 0.2, 4);
}, { passive: false });
hudLines.push(() => `Speed: ${S.speed.toFixed(2)}×`);""")

DBLCLICK_CLEAR = Block(
    "dblclick_clear",
    "Double-click to clear the scene and start again with a fresh set of {nouns}.",
    """canvas.addEventListener('dblclick', (e) => {
  e.preventDefault();
  items.length = 0;
  init();
});""")

BURST_KEY = Block(
    "burst_key",
    "Press B to release a burst of ten new {nouns} from the centre.",
    """onKey('b', () => {
  for (let i = 0; i < 10; i++) spawn(W / 2 + rand(-20, 20), H / 2 + rand(-20, 20));
});""")
