"""Feature and action blocks shared by the GAMES entries.

Game cores keep the score in `S.score`, scale spawn rates and speeds by `S.difficulty`, and emit `score`
(x, y, points) when the player earns points and `hit` (x, y) when the player is hurt; these blocks listen.
"""

from __future__ import annotations

from services.offline_llm.corpus.model import Block

SCORE_HUD = Block("score_hud", "A score counter is shown in the top-left corner.",
                  "hudLines.push(() => `Score: ${S.score}`);")

BEST_SCORE = Block("best_score", "The best score of the session is shown below the current score.",
                   """updaters.push(() => {
  S.best = Math.max(S.best, S.score);
});
hudLines.push(() => `Best: ${S.best}`);""")

SPARKS = Block("sparks", "Every {noun} you catch bursts into a shower of sparks.", """const sparks = [];
on('score', (x, y) => {
  for (let i = 0; i < 14; i++) {
    const a = rand(0, Math.PI * 2);
    sparks.push({ x, y, vx: Math.cos(a) * rand(40, 140), vy: Math.sin(a) * rand(40, 140), life: rand(0.4, 0.8) });
  }
});
updaters.push((dt) => {
  for (const p of sparks) { p.x += p.vx * dt; p.y += p.vy * dt; p.life -= dt; }
  for (let i = sparks.length - 1; i >= 0; i--) if (sparks[i].life <= 0) sparks.splice(i, 1);
});
overlays.push(() => {
  for (const p of sparks) {
    ctx.fillStyle = `rgba(255, 220, 90, ${clamp(p.life * 1.5, 0, 1).toFixed(3)})`;
    ctx.fillRect(p.x - 2, p.y - 2, 4, 4);
  }
});""")

SHAKE = Block("screen_shake", "The screen shakes briefly whenever the player is hit.", """let shake = 0;
on('hit', () => { shake = 0.3; });
overlays.push(() => {
  shake = Math.max(0, shake - 1 / 60);
  canvas.style.transform = shake > 0 ? `translate(${rand(-5, 5).toFixed(1)}px, ${rand(-5, 5).toFixed(1)}px)` : '';
});""")

FLASH_HIT = Block("hit_flash", "The screen flashes red whenever the player is hit.", """let redFlash = 0;
on('hit', () => { redFlash = 0.4; });
overlays.push(() => {
  redFlash = Math.max(0, redFlash - 1 / 60);
  if (redFlash > 0) {
    ctx.fillStyle = `rgba(220, 30, 30, ${redFlash.toFixed(3)})`;
    ctx.fillRect(0, 0, W, H);
  }
});""")

COMBO = Block("combo", "Scoring again within two seconds builds a combo multiplier worth bonus points.",
              """let combo = 0;
let lastScoreAt = -10;
on('score', () => {
  combo = S.t - lastScoreAt < 2 ? combo + 1 : 1;
  lastScoreAt = S.t;
  if (combo > 1) S.score += combo - 1;
});
hudLines.push(() => (combo > 1 && S.t - lastScoreAt < 2 ? `Combo ×${combo}` : 'Combo: –'));""")

RAMP = Block("difficulty_ramp", "The game speeds up a little every fifteen seconds, shown as a level number.",
             """updaters.push(() => {
  S.difficulty = 1 + Math.floor(S.t / 15) * 0.15;
});
hudLines.push(() => `Level ${Math.round((S.difficulty - 1) / 0.15) + 1}`);""")

LIVES = Block("lives", "The player has three lives shown as hearts; losing them all shows a Game Over screen and "
                       "restarts the round.", """let lives = 3;
let overFor = 0;
on('hit', () => {
  if (overFor > 0) return;
  lives -= 1;
  if (lives <= 0) overFor = 2;
});
updaters.push((dt) => {
  if (overFor <= 0) return;
  overFor -= dt;
  if (overFor <= 0) { lives = 3; S.score = 0; items.length = 0; init(); }
});
hudLines.push(() => `Lives: ${'♥'.repeat(Math.max(0, lives))}`);
overlays.push(() => {
  if (overFor <= 0) return;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.6)';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 40px Arial';
  ctx.textAlign = 'center';
  ctx.fillText('Game Over', W / 2, H / 2);
  ctx.textAlign = 'left';
});""")

ROUND_TIMER = Block("round_timer", "Each round lasts sixty seconds with a visible countdown; when time runs out the "
                                   "final score is shown and a new round starts.", """let roundLeft = 60;
let banner = 0;
let finalScore = 0;
updaters.push((dt) => {
  roundLeft -= dt;
  banner = Math.max(0, banner - dt);
  if (roundLeft <= 0) { finalScore = S.score; S.score = 0; roundLeft = 60; banner = 2.5; }
});
hudLines.push(() => `Time left: ${Math.ceil(roundLeft)} s`);
overlays.push(() => {
  if (banner <= 0) return;
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 30px Arial';
  ctx.textAlign = 'center';
  ctx.fillText(`Time! Final score: ${finalScore}`, W / 2, H / 2);
  ctx.textAlign = 'left';
});""")

FLOAT_POINTS = Block("float_points", "Points float up from the spot where they were earned.", """const popups = [];
on('score', (x, y, points) => { popups.push({ x, y, text: `+${points}`, life: 1 }); });
updaters.push((dt) => {
  for (const p of popups) { p.y -= 40 * dt; p.life -= dt; }
  for (let i = popups.length - 1; i >= 0; i--) if (popups[i].life <= 0) popups.splice(i, 1);
});
overlays.push(() => {
  ctx.font = 'bold 16px Arial';
  for (const p of popups) {
    ctx.fillStyle = `rgba(255, 255, 255, ${clamp(p.life, 0, 1).toFixed(3)})`;
    ctx.fillText(p.text, p.x, p.y);
  }
});""")

MOVE_LR = Block("move_keys", "Use the left and right arrow keys to move the {player}.", """updaters.push((dt) => {
  const speed = player.dash > 0 ? 720 : 360;
  if (held.has('ArrowLeft')) player.x -= speed * dt;
  if (held.has('ArrowRight')) player.x += speed * dt;
  player.x = clamp(player.x, player.w / 2, W - player.w / 2);
});""")
