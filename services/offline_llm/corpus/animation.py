"""ANIMATION entries, part 1: interactive visualizations (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

# Wanderers: steer with a slowly changing turn rate and relax back to a cruising speed after a push.
_SWIMMERS = """function spawn(x, y) {
  if (items.length >= 150) items.shift();
  const a = rand(0, Math.PI * 2);
  const it = { x, y, vx: Math.cos(a) * 40, vy: Math.sin(a) * 40, r: rand(9, 15),
    hue: [8, 22, 35, 48][Math.floor(rand(0, 4))], turn: rand(-1, 1), phase: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 12; i++) spawn(rand(60, W - 60), rand(60, H - 60)); }
function stepWorld() {}
function moveItem(it, dt) {
  it.turn = clamp(it.turn + rand(-2, 2) * dt, -1.2, 1.2);
  const speed = Math.hypot(it.vx, it.vy);
  const heading = Math.atan2(it.vy, it.vx) + it.turn * dt;
  const s = speed + (45 - speed) * Math.min(1, dt * 1.5);
  it.vx = Math.cos(heading) * s;
  it.vy = Math.sin(heading) * s;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.phase += dt * 6;
  wrapEdges(it, 30);
}"""

KOI = Entry(
    id="koi-pond",
    topic="ANIMATION",
    main=Subject(
        title="Koi Pond",
        intro="Create an interactive koi pond visualization where colourful koi fish glide and turn gracefully "
              "beneath the water's surface.",
        noun="koi fish", nouns="koi fish", accent="#ff9e58",
        draw="""function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#0b4f6c');
  g.addColorStop(1, '#01243a');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.save();
  ctx.translate(it.x, it.y);
  ctx.rotate(Math.atan2(it.vy, it.vx));
  const wag = Math.sin(it.phase) * 0.4 * it.r;
  ctx.fillStyle = `hsl(${it.hue}, 85%, 55%)`;
  ctx.beginPath();
  ctx.ellipse(0, 0, it.r * 1.6, it.r * 0.7, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(-it.r * 1.4, 0);
  ctx.lineTo(-it.r * 2.4, -it.r * 0.7 + wag);
  ctx.lineTo(-it.r * 2.4, it.r * 0.7 + wag);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
  ctx.beginPath();
  ctx.arc(it.r * 0.3, -it.r * 0.15, it.r * 0.35, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
}"""),
    alt=Subject(
        title="Jellyfish Lagoon",
        intro="Create an interactive visualization of a moonlit lagoon where translucent jellyfish drift and pulse "
              "through the dark water.",
        noun="jellyfish", nouns="jellyfish", accent="#c792ea",
        draw="""function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#141a3a');
  g.addColorStop(1, '#05060f');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = 'rgba(255, 255, 230, 0.8)';
  ctx.beginPath();
  ctx.arc(W - 90, 80, 30, 0, Math.PI * 2);
  ctx.fill();
}
function drawItem(it) {
  const squeeze = 1 + 0.15 * Math.sin(it.phase);
  ctx.fillStyle = `hsla(${(it.hue + 260) % 360}, 70%, 70%, 0.55)`;
  ctx.beginPath();
  ctx.ellipse(it.x, it.y, it.r * squeeze, it.r * 0.8 / squeeze, 0, Math.PI, 0);
  ctx.closePath();
  ctx.fill();
  ctx.strokeStyle = `hsla(${(it.hue + 260) % 360}, 70%, 80%, 0.5)`;
  ctx.lineWidth = 1.5;
  for (let k = -2; k <= 2; k++) {
    ctx.beginPath();
    ctx.moveTo(it.x + k * it.r * 0.35, it.y);
    for (let s = 1; s <= 4; s++) {
      ctx.lineTo(it.x + k * it.r * 0.35 + Math.sin(it.phase + s + k) * 3, it.y + s * it.r * 0.5);
    }
    ctx.stroke();
  }
}"""),
    core=_SWIMMERS,
    features=(
        b.TRAILS.worded("Each {noun} leaves a faint, fading wake as it swims."),
        Block("floating_leaves", "Several floating leaves drift slowly across the surface above the {nouns}.",
              """const leaves = Array.from({ length: 5 }, () => ({ x: rand(0, W), y: rand(40, H - 40), r: rand(22, 38),
  v: rand(3, 8) }));
updaters.push((dt) => { for (const p of leaves) { p.x += p.v * dt; if (p.x - p.r > W) p.x = -p.r; } });
overlays.push(() => {
  ctx.fillStyle = 'rgba(76, 160, 80, 0.85)';
  for (const p of leaves) {
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    ctx.arc(p.x, p.y, p.r, 0.3, Math.PI * 2 - 0.3);
    ctx.closePath();
    ctx.fill();
  }
});"""),
        b.COUNTER.worded("A counter in the corner shows how many {nouns} are in the water."),
        b.MOTES.worded("Tiny bubbles rise slowly from the bottom of the water."),
    ),
    extra=b.DAY_NIGHT.worded("The water slowly cycles between daylight and moonlight."),
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere in the water to release a new {noun} at the cursor."),
        b.DRAG_ATTRACT.worded("Click and drag to lure nearby {nouns} toward the cursor."),
        b.SPACE_PAUSE,
    ),
)

_FLIERS = """function spawn(x, y) {
  if (items.length >= 200) items.shift();
  const it = { x, y, vx: rand(-20, 20), vy: rand(-20, 20), r: rand(3, 5), hue: rand(48, 68), blink: rand(0, 6),
    rate: rand(1.5, 3) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 40; i++) spawn(rand(0, W), rand(H * 0.2, H * 0.9)); }
function stepWorld() {}
function moveItem(it, dt) {
  it.vx += rand(-60, 60) * dt;
  it.vy += rand(-60, 60) * dt;
  const s = Math.hypot(it.vx, it.vy);
  const k = s > 60 ? Math.max(60 / s, 1 - 1.5 * dt) : 1;
  it.vx *= k;
  it.vy *= k;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.blink += dt * it.rate;
  bounceEdges(it);
}"""

FIREFLIES = Entry(
    id="firefly-meadow",
    topic="ANIMATION",
    main=Subject(
        title="Firefly Meadow",
        intro="Create an interactive visualization of a meadow at dusk where fireflies blink and wander among the "
              "tall grass.",
        noun="firefly", nouns="fireflies", accent="#ffe66d",
        draw="""const blades = Array.from({ length: 90 }, (_, i) => ({ x: i * (W / 90) + rand(-3, 3),
  h: rand(40, 110) }));
function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#1b1f4b');
  g.addColorStop(1, '#2e4b3a');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#0f2418';
  ctx.lineWidth = 3;
  ctx.beginPath();
  for (const blade of blades) {
    ctx.moveTo(blade.x, H);
    ctx.quadraticCurveTo(blade.x + 6, H - blade.h / 2, blade.x + Math.sin(S.t + blade.x) * 8, H - blade.h);
  }
  ctx.stroke();
}
function drawItem(it) {
  const on = (Math.sin(it.blink) + 1) / 2;
  ctx.fillStyle = `hsla(${it.hue}, 100%, 60%, ${(0.15 + 0.85 * on).toFixed(3)})`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Lantern River",
        intro="Create an interactive visualization of a festival night where glowing paper lanterns float gently "
              "over a dark river.",
        noun="lantern", nouns="lanterns", accent="#ff8c42",
        draw="""function drawBackground() {
  ctx.fillStyle = '#0a0d1f';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#101a33';
  ctx.fillRect(0, H * 0.55, W, H * 0.45);
  ctx.strokeStyle = 'rgba(120, 150, 220, 0.2)';
  ctx.beginPath();
  for (let y = H * 0.6; y < H; y += 24) {
    ctx.moveTo(0, y + Math.sin(S.t + y) * 3);
    ctx.lineTo(W, y + Math.cos(S.t + y) * 3);
  }
  ctx.stroke();
}
function drawItem(it) {
  const on = 0.6 + 0.4 * (Math.sin(it.blink) + 1) / 2;
  ctx.fillStyle = `hsla(${(it.hue - 25 + 360) % 360}, 95%, 60%, ${on.toFixed(3)})`;
  ctx.fillRect(it.x - it.r * 1.4, it.y - it.r * 1.8, it.r * 2.8, it.r * 3.6);
  ctx.fillStyle = 'rgba(60, 30, 10, 0.9)';
  ctx.fillRect(it.x - it.r * 1.6, it.y - it.r * 2.1, it.r * 3.2, it.r * 0.5);
}"""),
    core=_FLIERS,
    features=(
        b.GLOW.worded("Each {noun} glows with a soft halo that pulses as it blinks."),
        b.MOTES.worded("Pollen specks drift slowly upward through the air."),
        b.COUNTER.worded("A counter shows how many {nouns} are in the scene."),
        b.VIGNETTE,
    ),
    extra=b.WIND.worded("Periodic breezes push the {nouns} sideways."),
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to release a new {noun} at the cursor."),
        b.SCATTER_KEY.worded("Press S to startle the {nouns} so they scatter in all directions."),
        b.COLOR_KEY,
    ),
)

# Fallers: drift down with a sway, rest on the ground for a while, then start again from the top.
_FALLERS = """const GROUND = H - 40;
function spawn(x, y) {
  if (items.length >= 220) items.shift();
  const it = { x, y, vx: rand(-10, 10), vy: rand(30, 60), r: rand(7, 12), hue: rand(8, 48), angle: rand(0, 6),
    spin: rand(-2, 2), sway: rand(0, 6), rest: 0 };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 35; i++) spawn(rand(0, W), rand(-H * 0.8, H * 0.8)); }
function stepWorld() {}
function moveItem(it, dt) {
  if (it.y >= GROUND - it.r * 0.5 && it.vy >= 0) {
    it.y = GROUND - it.r * 0.5;
    it.vy = 0;
    it.vx *= Math.max(0, 1 - 4 * dt);
    it.x += it.vx * dt;
    it.rest += dt;
    if (it.rest > 6) { it.x = rand(0, W); it.y = -20; it.rest = 0; it.vy = rand(30, 60); }
    return;
  }
  it.sway += dt * 2;
  it.vy += (50 - it.vy) * Math.min(1, dt);
  it.vx += (Math.sin(it.sway) * 30 - it.vx) * Math.min(1, dt * 2);
  it.x += it.vx * dt;
  it.y = Math.max(-H, it.y + it.vy * dt);
  it.angle += it.spin * dt;
  if (it.x < -20) it.x = W + 20;
  if (it.x > W + 20) it.x = -20;
}"""

LEAVES = Entry(
    id="autumn-leaves",
    topic="ANIMATION",
    main=Subject(
        title="Autumn Leaves",
        intro="Create an interactive visualization of autumn leaves tumbling from the sky and settling onto the "
              "ground.",
        noun="leaf", nouns="leaves", accent="#f4a259",
        draw="""function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#f6d8ae');
  g.addColorStop(1, '#e3a869');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#6b4226';
  ctx.fillRect(0, GROUND, W, H - GROUND);
}
function drawItem(it) {
  ctx.save();
  ctx.translate(it.x, it.y);
  ctx.rotate(it.angle);
  ctx.fillStyle = `hsl(${it.hue}, 80%, 45%)`;
  ctx.beginPath();
  ctx.ellipse(0, 0, it.r, it.r * 0.5, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = 'rgba(60, 30, 10, 0.7)';
  ctx.beginPath();
  ctx.moveTo(-it.r, 0);
  ctx.lineTo(it.r, 0);
  ctx.stroke();
  ctx.restore();
}"""),
    alt=Subject(
        title="First Snow",
        intro="Create an interactive visualization of a quiet winter evening where snowflakes drift down and "
              "settle onto the ground.",
        noun="snowflake", nouns="snowflakes", accent="#a8dadc",
        draw="""function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#1d2951');
  g.addColorStop(1, '#51658f');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#e9f1f7';
  ctx.fillRect(0, GROUND, W, H - GROUND);
}
function drawItem(it) {
  ctx.save();
  ctx.translate(it.x, it.y);
  ctx.rotate(it.angle);
  ctx.strokeStyle = `hsla(${(it.hue + 180) % 360}, 40%, 95%, 0.95)`;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let k = 0; k < 6; k++) {
    const a = (k / 6) * Math.PI * 2;
    ctx.moveTo(0, 0);
    ctx.lineTo(Math.cos(a) * it.r, Math.sin(a) * it.r);
  }
  ctx.stroke();
  ctx.restore();
}"""),
    core=_FALLERS,
    features=(
        b.SHADOWS.worded("Each {noun} casts a soft shadow as it falls."),
        b.WIND.worded("Periodic gusts of wind sweep the falling {nouns} sideways."),
        b.COUNTER.worded("A counter shows how many {nouns} are on screen."),
        b.COLOR_CYCLE.worded("The {nouns} slowly shift colour as they fall."),
    ),
    extra=b.VIGNETTE,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to drop a new {noun} from that spot."),
        b.SCATTER_KEY.worded("Press S to send a gust that scatters all {nouns} in random directions."),
        b.DBLCLICK_CLEAR,
    ),
)

# Risers: climb to a gentle drift, wrap from the top back to the bottom.
_RISERS = """function spawn(x, y) {
  if (items.length >= 60) items.shift();
  const it = { x, y, vx: rand(-8, 8), vy: rand(-30, -15), r: rand(14, 22), hue: rand(0, 360), bob: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 9; i++) spawn(rand(40, W - 40), rand(80, H - 60)); }
function stepWorld() {}
function moveItem(it, dt) {
  it.bob += dt;
  it.vx += (Math.sin(it.bob * 0.5) * 10 - it.vx) * Math.min(1, dt * 0.5);
  it.vy += (-20 - it.vy) * Math.min(1, dt * 0.8);
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  if (it.y < -it.r * 3) { it.y = H + it.r * 2; it.x = rand(0, W); }
  if (it.y > H + it.r * 3) it.y = H + it.r * 2;
  if (it.x < -it.r * 2) it.x = W + it.r * 2;
  if (it.x > W + it.r * 2) it.x = -it.r * 2;
}"""

_HILLS = """function drawHills() {
  ctx.fillStyle = '#3d6b45';
  ctx.beginPath();
  ctx.moveTo(0, H);
  for (let x = 0; x <= W; x += 20) ctx.lineTo(x, H - 70 - Math.sin(x / 90) * 25);
  ctx.lineTo(W, H);
  ctx.fill();
}
function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#ffb677');
  g.addColorStop(1, '#cde7f0');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  drawHills();
}"""

BALLOONS = Entry(
    id="hot-air-balloons",
    topic="ANIMATION",
    main=Subject(
        title="Balloon Sunrise",
        intro="Create an interactive visualization of hot air balloons rising and drifting over rolling hills at "
              "sunrise.",
        noun="hot air balloon", nouns="hot air balloons", accent="#ef476f",
        draw=_HILLS + """
function drawItem(it) {
  ctx.strokeStyle = 'rgba(60, 40, 20, 0.8)';
  ctx.beginPath();
  ctx.moveTo(it.x - it.r * 0.6, it.y + it.r * 0.8);
  ctx.lineTo(it.x - it.r * 0.3, it.y + it.r * 1.6);
  ctx.moveTo(it.x + it.r * 0.6, it.y + it.r * 0.8);
  ctx.lineTo(it.x + it.r * 0.3, it.y + it.r * 1.6);
  ctx.stroke();
  ctx.fillStyle = '#7a4b27';
  ctx.fillRect(it.x - it.r * 0.3, it.y + it.r * 1.6, it.r * 0.6, it.r * 0.45);
  ctx.fillStyle = `hsl(${it.hue}, 75%, 55%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = `hsl(${(it.hue + 40) % 360}, 75%, 65%)`;
  ctx.fillRect(it.x - it.r * 0.2, it.y - it.r, it.r * 0.4, it.r * 2);
}"""),
    alt=Subject(
        title="Airship Morning",
        intro="Create an interactive visualization of colourful airships drifting over rolling hills at sunrise.",
        noun="airship", nouns="airships", accent="#06d6a0",
        draw=_HILLS + """
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 55%, 55%)`;
  ctx.beginPath();
  ctx.ellipse(it.x, it.y, it.r * 1.8, it.r * 0.8, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(it.x - it.r * 1.6, it.y);
  ctx.lineTo(it.x - it.r * 2.3, it.y - it.r * 0.7);
  ctx.lineTo(it.x - it.r * 2.3, it.y + it.r * 0.7);
  ctx.fill();
  ctx.fillStyle = '#4a3b2a';
  ctx.fillRect(it.x - it.r * 0.5, it.y + it.r * 0.8, it.r, it.r * 0.35);
}"""),
    core=_RISERS,
    features=(
        b.SHADOWS.worded("Each {noun} casts a soft shadow below it."),
        b.WIND.worded("Periodic gusts of wind push the {nouns} sideways."),
        b.DAY_NIGHT.worded("The sky slowly cycles from day to night and back again."),
        b.HOVER_INFO,
    ),
    extra=b.CLOCK,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere in the sky to launch a new {noun} at the cursor."),
        b.SPACE_PAUSE,
        b.WHEEL_SPEED,
    ),
)
