"""GAMES entries, part 4: snake and archery (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import game_blocks as g
from services.offline_llm.corpus.model import Block, Entry, Subject

# Snake: the head moves continuously and wraps around; the body is the head's recent positions.
_SNAKE = """const snake = { x: W / 2, y: H / 2, heading: 0, body: [], length: 20, boost: 0, cooldown: 0 };
function spawn(x, y) {
  if (items.length >= 12) items.shift();
  const bad = Math.random() < 0.25;
  const it = { x: clamp(x, 20, W - 20), y: clamp(y, 20, H - 20), vx: 0, vy: 0, r: bad ? 9 : 7,
    hue: bad ? 0 : 120, bad };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() {
  Object.assign(snake, { x: W / 2, y: H / 2, heading: 0, body: [], length: 20 });
  for (let i = 0; i < 5; i++) spawn(rand(40, W - 40), rand(40, H - 40));
}
function stepWorld(dt) {
  const v = 120 * S.difficulty * (snake.boost > 0 ? 1.8 : 1);
  snake.x = (snake.x + Math.cos(snake.heading) * v * dt + W) % W;
  snake.y = (snake.y + Math.sin(snake.heading) * v * dt + H) % H;
  snake.body.unshift({ x: snake.x, y: snake.y });
  while (snake.body.length > snake.length) snake.body.pop();
  for (let i = 14; i < snake.body.length; i += 2) {
    const seg = snake.body[i];
    if (Math.hypot(seg.x - snake.x, seg.y - snake.y) < 5) {
      snake.body.length = i;
      snake.length = Math.max(20, i);
      emit('hit', snake.x, snake.y);
      break;
    }
  }
  snake.boost = Math.max(0, snake.boost - dt);
  snake.cooldown = Math.max(0, snake.cooldown - dt);
  if (items.filter((it) => !it.bad && !it.dead).length < 3) spawn(rand(40, W - 40), rand(40, H - 40));
}
function moveItem(it) {
  if (Math.hypot(it.x - snake.x, it.y - snake.y) > it.r + 7) return;
  it.dead = true;
  if (it.bad) {
    snake.length = Math.max(20, snake.length - 15);
    emit('hit', it.x, it.y);
  } else {
    snake.length += 8;
    S.score += 1;
    emit('score', it.x, it.y, 1);
  }
}
underlays.push(() => drawSnake(snake));"""

TURN = Block("turn_keys", "Use the left and right arrow keys to turn the {player}.", """updaters.push((dt) => {
  if (held.has('ArrowLeft')) snake.heading -= 3.2 * dt;
  if (held.has('ArrowRight')) snake.heading += 3.2 * dt;
});""")

BOOST = Block("boost_key", "Press the spacebar for a speed boost lasting one second (3-second cooldown).",
              """onKey(' ', () => {
  if (snake.cooldown > 0) return;
  snake.boost = 1;
  snake.cooldown = 3;
});""")

SNAKE = Entry(
    id="neon-snake",
    topic="GAMES",
    main=Subject(
        title="Neon Snake",
        intro="Implement a fun, streamlined web game called 'Neon Snake' where players guide a glowing snake to "
              "eat pellets and grow while avoiding poison pellets and its own tail.",
        noun="pellet", nouns="pellets", accent="#39ff14", terms={"player": "snake"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#0b0c10';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#ff006e' : '#3a86ff';
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}
function drawSnake(s) {
  ctx.fillStyle = s.boost > 0 ? '#ccff33' : '#39ff14';
  for (let i = 0; i < s.body.length; i += 3) {
    const seg = s.body[i];
    ctx.beginPath();
    ctx.arc(seg.x, seg.y, i === 0 ? 8 : 6, 0, Math.PI * 2);
    ctx.fill();
  }
}"""),
    alt=Subject(
        title="Glow Worm",
        intro="Implement a fun, streamlined web game called 'Glow Worm' where players guide a glowing worm to eat "
              "berries and grow while avoiding toadstools and its own tail.",
        noun="berry", nouns="berries", accent="#f9c74f", terms={"player": "worm"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#1b3a1b';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#d00000' : '#7b2cbf';
  ctx.beginPath();
  if (it.bad) { ctx.arc(it.x, it.y, it.r, Math.PI, 0); ctx.fillRect(it.x - 2, it.y, 4, it.r); }
  else ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}
function drawSnake(s) {
  ctx.fillStyle = '#f9c74f';
  for (let i = 0; i < s.body.length; i += 3) {
    const seg = s.body[i];
    ctx.beginPath();
    ctx.arc(seg.x, seg.y, i === 0 ? 7 : 5, 0, Math.PI * 2);
    ctx.fill();
  }
}"""),
    core=_SNAKE,
    features=(
        g.SCORE_HUD,
        Block("length_readout", "A readout shows the {player}'s current length.",
              "hudLines.push(() => `Length: ${snake.length}`);"),
        g.SPARKS.worded("Every {noun} eaten bursts into a shower of sparks."),
        g.RAMP,
    ),
    extra=g.FLASH_HIT,
    actions=(TURN, BOOST),
)

# Archery: targets cross the sky; shots fly from the bow at its angle under light gravity.
_ARCHERY = """const bow = { x: W / 2, y: H - 50, angle: -Math.PI / 2, cooldown: 0 };
const shots = [];
let targetClock = 0;
function spawn(x, y) {
  if (items.length >= 20) items.shift();
  const bad = Math.random() < 0.25;
  const dir = Math.random() < 0.5 ? 1 : -1;
  const it = { x: dir > 0 ? -30 : W + 30, y: clamp(y, 60, H * 0.6), vx: dir * rand(50, 110) * S.difficulty, vy: 0,
    r: bad ? 14 : 18, hue: bad ? 0 : rand(0, 360), bad, bob: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { shots.length = 0; targetClock = 0; for (let i = 0; i < 3; i++) spawn(0, rand(60, H * 0.5)); }
function stepWorld(dt) {
  targetClock += dt * S.difficulty;
  if (targetClock > 1.2) { targetClock = 0; spawn(0, rand(60, H * 0.55)); }
  bow.cooldown = Math.max(0, bow.cooldown - dt);
  for (const a of shots) {
    a.x += a.vx * dt;
    a.y += a.vy * dt;
    a.vy += 150 * dt;
    if (a.y < -20 || a.x < -20 || a.x > W + 20 || a.y > H + 20) a.done = true;
    for (const it of items) {
      if (it.dead || a.done || Math.hypot(it.x - a.x, it.y - a.y) > it.r) continue;
      it.dead = true;
      a.done = true;
      if (it.bad) {
        S.score = Math.max(0, S.score - 3);
        emit('hit', it.x, it.y);
      } else {
        S.score += 1;
        emit('score', it.x, it.y, 1);
      }
    }
  }
  for (let i = shots.length - 1; i >= 0; i--) if (shots[i].done) shots.splice(i, 1);
}
function moveItem(it, dt) {
  it.bob += dt * 2;
  it.x += it.vx * dt;
  it.y += Math.sin(it.bob) * 10 * dt;
  if (it.x < -60 || it.x > W + 60) it.dead = true;
}
overlays.push(() => drawBow(bow, shots));"""

AIM = Block("aim_keys", "Use the left and right arrow keys to aim the {player}.", """updaters.push((dt) => {
  if (held.has('ArrowLeft')) bow.angle = clamp(bow.angle - 1.5 * dt, -Math.PI + 0.2, -0.2);
  if (held.has('ArrowRight')) bow.angle = clamp(bow.angle + 1.5 * dt, -Math.PI + 0.2, -0.2);
});""")

SHOOT = Block("shoot_key", "Press the spacebar to launch a {shot} (one every 0.4 seconds).", """onKey(' ', () => {
  if (bow.cooldown > 0) return;
  bow.cooldown = 0.4;
  shots.push({ x: bow.x, y: bow.y, vx: Math.cos(bow.angle) * 520, vy: Math.sin(bow.angle) * 520 });
});""")

ARCHERY = Entry(
    id="sky-archer",
    topic="GAMES",
    main=Subject(
        title="Sky Archer",
        intro="Implement a fun, streamlined web game called 'Sky Archer' where players aim a bow to shoot arrows "
              "at drifting balloons while sparing the doves.",
        noun="balloon", nouns="balloons", accent="#ef233c", terms={"player": "bow", "shot": "arrow"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#a2d2ff';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#ffffff' : `hsl(${it.hue}, 80%, 55%)`;
  ctx.beginPath();
  if (it.bad) ctx.ellipse(it.x, it.y, it.r * 1.2, it.r * 0.6, 0, 0, Math.PI * 2);
  else ctx.ellipse(it.x, it.y, it.r * 0.85, it.r, 0, 0, Math.PI * 2);
  ctx.fill();
}
function drawBow(b, flying) {
  ctx.strokeStyle = '#6f1d1b';
  ctx.lineWidth = 4;
  ctx.beginPath();
  ctx.arc(b.x, b.y, 26, b.angle - 1.2, b.angle + 1.2);
  ctx.stroke();
  ctx.lineWidth = 2;
  for (const a of flying) {
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(a.x - a.vx * 0.04, a.y - a.vy * 0.04);
    ctx.stroke();
  }
}"""),
    alt=Subject(
        title="Snowball Toss",
        intro="Implement a fun, streamlined web game called 'Snowball Toss' where players aim a snowball launcher "
              "at drifting paper targets while sparing the birds.",
        noun="paper target", nouns="paper targets", accent="#8ecae6", terms={"player": "snowball launcher",
                                                                             "shot": "snowball"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#e0fbfc';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#6c757d' : '#ffffff';
  ctx.strokeStyle = '#d62828';
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
  if (!it.bad) { ctx.stroke(); ctx.beginPath(); ctx.arc(it.x, it.y, it.r * 0.5, 0, Math.PI * 2); ctx.stroke(); }
}
function drawBow(b, flying) {
  ctx.fillStyle = '#457b9d';
  ctx.save();
  ctx.translate(b.x, b.y);
  ctx.rotate(b.angle);
  ctx.fillRect(0, -7, 36, 14);
  ctx.restore();
  ctx.fillStyle = '#ffffff';
  for (const a of flying) { ctx.beginPath(); ctx.arc(a.x, a.y, 5, 0, Math.PI * 2); ctx.fill(); }
}"""),
    core=_ARCHERY,
    features=(g.SCORE_HUD, g.COMBO, g.FLOAT_POINTS, g.LIVES),
    extra=g.BEST_SCORE,
    actions=(AIM, SHOOT),
)
