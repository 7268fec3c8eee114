"""SCIENCE entries, part 2: orbits and projectiles (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

PAUSE = b.SPACE_PAUSE.worded("Press the spacebar to pause or resume the simulation.")

# Newtonian gravity toward the centre, four sub-steps per frame; a new body starts on a circular orbit.
_ORBITS = """const GM = 4e6;
function spawn(x, y) {
  if (items.length >= 60) items.shift();
  let dx = x - W / 2;
  let dy = y - H / 2;
  let d = Math.hypot(dx, dy);
  if (d < 40) { dx = 40; dy = 0; d = 40; }
  const v = Math.sqrt(GM / d);
  const it = { x: W / 2 + dx, y: H / 2 + dy, vx: (-dy / d) * v, vy: (dx / d) * v, r: rand(4, 9), hue: rand(0, 360) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() {
  [90, 140, 200, 260].forEach((d, i) => spawn(W / 2 + d * Math.cos(i * 1.7), H / 2 + d * Math.sin(i * 1.7)));
}
function stepWorld() {}
function moveItem(it, dt) {
  const h = dt / 4;
  for (let i = 0; i < 4; i++) {
    const dx = W / 2 - it.x;
    const dy = H / 2 - it.y;
    const d2 = Math.max(dx * dx + dy * dy, 400);
    const d = Math.sqrt(d2);
    it.vx += (dx / d) * (GM / d2) * h;
    it.vy += (dy / d) * (GM / d2) * h;
    it.x += it.vx * h;
    it.y += it.vy * h;
  }
  const d = Math.hypot(it.x - W / 2, it.y - H / 2);
  if (d < 22 || d > 2 * W) it.dead = true;
}"""

ORBITS = Entry(
    id="planetary-orbits",
    topic="SCIENCE",
    main=Subject(
        title="Orbit Lab",
        intro="Create an interactive simulation of planets orbiting a star under Newtonian gravity.",
        noun="planet", nouns="planets", accent="#ffbe0b",
        draw="""function drawBackground() {
  ctx.fillStyle = '#02030a';
  ctx.fillRect(0, 0, W, H);
  const g = ctx.createRadialGradient(W / 2, H / 2, 4, W / 2, H / 2, 40);
  g.addColorStop(0, '#fff3b0');
  g.addColorStop(1, 'rgba(255, 170, 0, 0)');
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(W / 2, H / 2, 40, 0, Math.PI * 2);
  ctx.fill();
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 65%, 60%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Moons of a Giant",
        intro="Create an interactive simulation of moons orbiting a gas giant under Newtonian gravity.",
        noun="moon", nouns="moons", accent="#e0aaff",
        draw="""function drawBackground() {
  ctx.fillStyle = '#050510';
  ctx.fillRect(0, 0, W, H);
  ctx.save();
  ctx.beginPath();
  ctx.arc(W / 2, H / 2, 26, 0, Math.PI * 2);
  ctx.clip();
  for (let k = -3; k <= 3; k++) {
    ctx.fillStyle = k % 2 === 0 ? '#d4a373' : '#faedcd';
    ctx.fillRect(W / 2 - 26, H / 2 + k * 8 - 4, 52, 8);
  }
  ctx.restore();
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 10%, 75%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r * 0.8, 0, Math.PI * 2);
  ctx.fill();
}"""),
    core=_ORBITS,
    features=(
        b.TRAILS.worded("Each {noun} traces a fading orbital trail."),
        Block("orbit_table", "A panel lists the first five {nouns}' distance from the centre and orbital speed.",
              """hudLines.push(() => items.slice(0, 5).map((it, i) => {
  const d = Math.hypot(it.x - W / 2, it.y - H / 2);
  return `#${i + 1}: r = ${d.toFixed(0)} px, v = ${Math.hypot(it.vx, it.vy).toFixed(0)} px/s`;
}).join('\\n'));"""),
        b.COUNTER.worded("A counter shows how many {nouns} are in orbit."),
        b.GRID,
    ),
    extra=b.MOTES.worded("Faint background stars drift slowly across the sky."),
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to place a new {noun} on a circular orbit at that distance."),
        b.WHEEL_SPEED.worded("Scroll the mouse wheel to speed up or slow down time."),
        b.DBLCLICK_CLEAR.worded("Double-click to reset the system to its starting {nouns}."),
    ),
)

# Projectiles: launched from a fixed point at CANNON.angle and CANNON.power, gravity 500 px/s², bouncing.
_CANNON = """const CANNON = { x: 60, y: H - 60, angle: -Math.PI / 4, power: 420 };
const GROUND_Y = H - 40;
let fireClock = 0;
function fire(angle, power) {
  if (items.length >= 80) items.shift();
  const it = { x: CANNON.x + Math.cos(angle) * 40, y: CANNON.y + Math.sin(angle) * 40, vx: Math.cos(angle) * power,
    vy: Math.sin(angle) * power, r: 8, hue: rand(0, 50), age: 0 };
  items.push(it);
  emit('spawn', it);
  return it;
}
function spawn(x, y) {
  CANNON.angle = Math.atan2(Math.min(y - CANNON.y, -10), Math.max(x - CANNON.x, 10));
  CANNON.power = clamp(Math.hypot(x - CANNON.x, y - CANNON.y) * 1.1, 200, 700);
  return fire(CANNON.angle, CANNON.power);
}
function init() { fireClock = 0; fire(CANNON.angle, CANNON.power); }
function stepWorld(dt) {
  fireClock += dt;
  if (fireClock > 2) { fireClock = 0; fire(CANNON.angle, CANNON.power); }
}
function moveItem(it, dt) {
  it.vy += 500 * dt;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.age += dt;
  if (it.y > GROUND_Y - it.r) { it.y = GROUND_Y - it.r; it.vy = -Math.abs(it.vy) * 0.6; it.vx *= 0.85; }
  if (it.x < it.r) { it.x = it.r; it.vx = Math.abs(it.vx) * 0.6; }
  if (it.x > W + 50 || it.age > 10) it.dead = true;
}"""

_FIELD = """function drawField() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#89c2d9');
  g.addColorStop(1, '#d8f3dc');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#52796f';
  ctx.fillRect(0, GROUND_Y, W, H - GROUND_Y);
}"""

PROJECTILES = Entry(
    id="projectile-motion",
    topic="SCIENCE",
    main=Subject(
        title="Cannon Range",
        intro="Create an interactive simulation of projectile motion, where a cannon fires cannonballs that arc "
              "under gravity and bounce along the ground.",
        noun="cannonball", nouns="cannonballs", accent="#e76f51", terms={"launcher": "cannon"},
        draw=_FIELD + """
function drawBackground() {
  drawField();
  ctx.save();
  ctx.translate(CANNON.x, CANNON.y);
  ctx.rotate(CANNON.angle);
  ctx.fillStyle = '#2b2d42';
  ctx.fillRect(0, -8, 44, 16);
  ctx.restore();
  ctx.fillStyle = '#4a4e69';
  ctx.beginPath();
  ctx.arc(CANNON.x, CANNON.y, 14, 0, Math.PI * 2);
  ctx.fill();
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 15%, 20%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Trebuchet Range",
        intro="Create an interactive simulation of a trebuchet hurling stones that arc under gravity and bounce "
              "along the ground.",
        noun="stone", nouns="stones", accent="#bc6c25", terms={"launcher": "trebuchet"},
        draw=_FIELD + """
function drawBackground() {
  drawField();
  ctx.strokeStyle = '#6f4518';
  ctx.lineWidth = 6;
  ctx.beginPath();
  ctx.moveTo(CANNON.x - 25, GROUND_Y);
  ctx.lineTo(CANNON.x, CANNON.y);
  ctx.lineTo(CANNON.x + 25, GROUND_Y);
  ctx.moveTo(CANNON.x, CANNON.y);
  ctx.lineTo(CANNON.x + Math.cos(CANNON.angle) * 50, CANNON.y + Math.sin(CANNON.angle) * 50);
  ctx.stroke();
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 8%, 45%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    core=_CANNON,
    features=(
        b.TRAILS.worded("Each {noun} leaves a fading trail tracing its parabolic path."),
        Block("apex_markers", "A marker shows the highest point each {noun} reaches.", """updaters.push(() => {
  for (const it of items) if (it.apexY === undefined || it.y < it.apexY) { it.apexY = it.y; it.apexX = it.x; }
});
overlays.push(() => {
  ctx.fillStyle = '#d00000';
  for (const it of items) {
    if (it.apexY === undefined) continue;
    ctx.beginPath();
    ctx.moveTo(it.apexX, it.apexY - 10);
    ctx.lineTo(it.apexX - 5, it.apexY - 18);
    ctx.lineTo(it.apexX + 5, it.apexY - 18);
    ctx.fill();
  }
});"""),
        b.SHADOWS.worded("Each {noun} casts a soft shadow."),
        Block("launch_readout", "A readout shows the current launch angle and speed.", """hudLines.push(() => {
  const degrees = (-CANNON.angle * 180 / Math.PI).toFixed(0);
  return `Angle: ${degrees}°  Speed: ${CANNON.power.toFixed(0)} px/s`;
});"""),
    ),
    extra=b.GRID.worded("A faint grid overlay helps judge heights and distances."),
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to aim the {launcher} at the cursor and launch a {noun}."),
        Block("aim_keys", "Use the up and down arrow keys to raise or lower the {launcher}.",
              """onKey('ArrowUp', () => {
  CANNON.angle = clamp(CANNON.angle - 0.05, -1.5, -0.05);
});
onKey('ArrowDown', () => {
  CANNON.angle = clamp(CANNON.angle + 0.05, -1.5, -0.05);
});"""),
        PAUSE,
    ),
)
