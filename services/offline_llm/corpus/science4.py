"""SCIENCE entries, part 4: predator-prey and diffusion (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

PAUSE = b.SPACE_PAUSE.worded("Press the spacebar to pause or resume the simulation.")

# Prey breed on a timer; predators chase the nearest prey within 120 px, gain energy by eating, starve
# without, and breed when well fed. A predator wanders in when none is left, so the cycle restarts.
_ECOSYSTEM = """function spawn(x, y, kind = 'prey') {
  if (items.length >= 220) {
    const idx = items.findIndex((o) => o.kind === kind);
    items.splice(Math.max(0, idx), 1);
  }
  const a = rand(0, Math.PI * 2);
  const hunter = kind === 'predator';
  const speed = hunter ? 55 : 35;
  const it = { kind, x, y, vx: Math.cos(a) * speed, vy: Math.sin(a) * speed, r: hunter ? 9 : 6,
    hue: hunter ? 18 : 42, energy: hunter ? 6 : 0 };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() {
  for (let i = 0; i < 40; i++) spawn(rand(0, W), rand(0, H), 'prey');
  for (let i = 0; i < 5; i++) spawn(rand(0, W), rand(0, H), 'predator');
}
let breedClock = 0;
function stepWorld(dt) {
  breedClock += dt;
  const prey = items.filter((o) => o.kind === 'prey' && !o.dead);
  if (breedClock > 0.6 && prey.length > 1 && prey.length < 180) {
    breedClock = 0;
    const parent = prey[Math.floor(rand(0, prey.length))];
    spawn(parent.x + rand(-10, 10), parent.y + rand(-10, 10), 'prey');
  }
  for (const f of items.filter((o) => o.kind === 'predator' && !o.dead)) {
    f.energy -= dt;
    let target = null;
    let best = 120;
    for (const p of prey) {
      if (p.dead) continue;
      const d = Math.hypot(p.x - f.x, p.y - f.y);
      if (d < best) { best = d; target = p; }
    }
    if (target) {
      f.vx += ((target.x - f.x) / (best || 1)) * 200 * dt;
      f.vy += ((target.y - f.y) / (best || 1)) * 200 * dt;
      if (best < f.r + target.r) {
        target.dead = true;
        f.energy += 2.5;
        if (f.energy > 10) { f.energy = 5; spawn(f.x, f.y, 'predator'); }
      }
    }
    if (f.energy <= 0) f.dead = true;
  }
  if (!items.some((o) => o.kind === 'predator' && !o.dead) && Math.random() < dt * 0.2) {
    spawn(rand(0, W), rand(0, H), 'predator');
  }
}
function moveItem(it, dt) {
  it.vx += rand(-40, 40) * dt;
  it.vy += rand(-40, 40) * dt;
  const max = it.kind === 'predator' ? 90 : 50;
  const s = Math.hypot(it.vx, it.vy);
  if (s > max) { const k = Math.max(max / s, 1 - 2 * dt); it.vx *= k; it.vy *= k; }
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  bounceEdges(it);
}
function census() {
  let prey = 0;
  let predators = 0;
  for (const it of items) { if (it.kind === 'prey') prey += 1; else predators += 1; }
  return { prey, predators };
}"""

ECOSYSTEM = Entry(
    id="predator-prey",
    topic="SCIENCE",
    main=Subject(
        title="Meadow Ecosystem",
        intro="Create an interactive simulation of a predator–prey ecosystem where foxes hunt rabbits that graze "
              "and multiply across a meadow.",
        noun="animal", nouns="animals", accent="#90be6d", terms={"prey": "rabbit", "predator": "fox",
                                                                  "preys": "rabbits", "predators": "foxes"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#a7c957';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.kind === 'predator' ? '#d9480f' : '#f8f4e3';
  ctx.beginPath();
  ctx.ellipse(it.x, it.y, it.r * 1.3, it.r, Math.atan2(it.vy, it.vx), 0, Math.PI * 2);
  ctx.fill();
  if (it.kind === 'prey') {
    ctx.fillRect(it.x - 2, it.y - it.r * 1.9, 1.5, it.r);
    ctx.fillRect(it.x + 1, it.y - it.r * 1.9, 1.5, it.r);
  }
}"""),
    alt=Subject(
        title="Reef Food Chain",
        intro="Create an interactive simulation of a marine food chain where sharks hunt small fish that school "
              "and multiply across a coral reef.",
        noun="creature", nouns="creatures", accent="#00b4d8", terms={"prey": "fish", "predator": "shark",
                                                                      "preys": "fish", "predators": "sharks"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#0077b6';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#ff8fab';
  for (let x = 20; x < W; x += 70) ctx.fillRect(x, H - 30 - (x % 50), 14, 30 + (x % 50));
}
function drawItem(it) {
  ctx.fillStyle = it.kind === 'predator' ? '#6c757d' : '#ffd60a';
  ctx.save();
  ctx.translate(it.x, it.y);
  ctx.rotate(Math.atan2(it.vy, it.vx));
  ctx.beginPath();
  ctx.ellipse(0, 0, it.r * 1.5, it.r * 0.7, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
}"""),
    core=_ECOSYSTEM,
    features=(
        Block("population_graph", "A live graph plots the {prey} and {predator} populations over time.",
              """const history = [];
let sampleClock = 0;
updaters.push((dt) => {
  sampleClock += dt;
  if (sampleClock >= 0.25) { sampleClock = 0; history.push(census()); if (history.length > 100) history.shift(); }
});
overlays.push(() => {
  const x0 = 10;
  const y0 = H - 120;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.45)';
  ctx.fillRect(x0, y0, 210, 80);
  const top = Math.max(1, ...history.map((h) => Math.max(h.prey, h.predators)));
  for (const [key, colour] of [['prey', '#ffffff'], ['predators', '#ff6b35']]) {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    history.forEach((h, i) => {
      const x = x0 + 5 + i * 2;
      const y = y0 + 75 - (h[key] / top) * 70;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
});"""),
        Block("population_counter", "A counter shows the current number of {preys} and {predators}.",
              """hudLines.push(() => {
  const c = census();
  return `${cap(TERMS.preys)}: ${c.prey}  ${cap(TERMS.predators)}: ${c.predators}`;
});"""),
        b.SHADOWS.worded("Each {noun} casts a soft shadow beneath it."),
        b.HOVER_INFO,
    ),
    extra=b.DAY_NIGHT.worded("The scene slowly cycles between day and night."),
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to add a new {prey} at the cursor."),
        Block("predator_key", "Press F to release a new {predator} at a random spot.",
              "onKey('f', () => { spawn(rand(0, W), rand(0, H), 'predator'); });"),
        PAUSE,
    ),
)

# Brownian random walk; a membrane at x = W/2 lets molecules through only inside the gap.
_DIFFUSION = """const MEMBRANE = { x: W / 2, gap: 60 };
function spawn(x, y) {
  if (items.length >= 400) items.shift();
  const it = { x: clamp(x, 5, W - 5), y: clamp(y, 5, H - 5), vx: 0, vy: 0, r: 3.5, hue: x < W / 2 ? 200 : 330 };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 180; i++) spawn(rand(10, MEMBRANE.x - 10), rand(10, H - 10)); }
function stepWorld() {}
function moveItem(it, dt) {
  const px = it.x;
  it.vx += rand(-1, 1) * 900 * dt;
  it.vy += rand(-1, 1) * 900 * dt;
  const damp = Math.pow(0.05, dt);
  it.vx *= damp;
  it.vy *= damp;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  bounceEdges(it);
  if ((px - MEMBRANE.x) * (it.x - MEMBRANE.x) <= 0 && Math.abs(it.y - H / 2) > MEMBRANE.gap) {
    it.x = px;
    it.vx = -it.vx;
  }
}
function drawMembrane(colour) {
  ctx.fillStyle = colour;
  ctx.fillRect(MEMBRANE.x - 3, 0, 6, H / 2 - MEMBRANE.gap);
  ctx.fillRect(MEMBRANE.x - 3, H / 2 + MEMBRANE.gap, 6, H / 2 - MEMBRANE.gap);
}"""

DIFFUSION = Entry(
    id="diffusion-tank",
    topic="SCIENCE",
    main=Subject(
        title="Diffusion Tank",
        intro="Create an interactive simulation of diffusion, where dye molecules spread from one side of a tank "
              "to the other through a gap in a membrane.",
        noun="dye molecule", nouns="dye molecules", accent="#7209b7",
        draw="""function drawBackground() {
  ctx.fillStyle = '#e0fbfc';
  ctx.fillRect(0, 0, W, H);
  drawMembrane('#3d5a80');
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue + 60}, 70%, 45%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Perfume Rooms",
        intro="Create an interactive simulation of perfume molecules spreading from one room to the next through "
              "an open doorway.",
        noun="perfume molecule", nouns="perfume molecules", accent="#ff5d8f",
        draw="""function drawBackground() {
  ctx.fillStyle = '#fff1e6';
  ctx.fillRect(0, 0, W, H);
  drawMembrane('#6d597a');
}
function drawItem(it) {
  ctx.fillStyle = `hsla(${(it.hue + 120) % 360}, 80%, 60%, 0.8)`;
  ctx.fillRect(it.x - it.r, it.y - it.r, it.r * 2, it.r * 2);
}"""),
    core=_DIFFUSION,
    features=(
        Block("side_counts", "Counters show how many {nouns} are on each side of the barrier.", """hudLines.push(() => {
  const left = items.filter((it) => it.x < MEMBRANE.x).length;
  return `Left: ${left}  Right: ${items.length - left}`;
});"""),
        Block("concentration_bar", "A bar along the top shows the concentration across the space.",
              """overlays.push(() => {
  const bins = new Array(12).fill(0);
  for (const it of items) bins[clamp(Math.floor((it.x / W) * 12), 0, 11)] += 1;
  const top = Math.max(1, ...bins);
  bins.forEach((n, i) => {
    ctx.fillStyle = `rgba(114, 9, 183, ${(0.15 + 0.85 * n / top).toFixed(3)})`;
    ctx.fillRect(i * (W / 12), 0, W / 12 - 1, 14);
  });
});"""),
        b.TRAILS.worded("Each {noun} leaves a short, fading trail."),
        b.CLOCK.worded("A clock shows the time elapsed since the {nouns} were released."),
    ),
    extra=b.HOVER_INFO,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to add a new {noun} at the cursor."),
        Block("gap_keys", "Use the up and down arrow keys to widen or narrow the gap in the barrier.",
              """onKey('ArrowUp', () => { MEMBRANE.gap = clamp(MEMBRANE.gap + 10, 10, H / 2); });
onKey('ArrowDown', () => { MEMBRANE.gap = clamp(MEMBRANE.gap - 10, 10, H / 2); });"""),
        PAUSE,
    ),
)
