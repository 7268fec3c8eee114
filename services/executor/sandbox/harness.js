// Runs one JavaScript job inside the sandbox: the program the run host forks execs node on this file
// (services/executor/sandbox/worker_program.py, run_node).
// Reports events on fd 3 as JSON lines, exactly like the Python runner: a syntax error, an uncaught
// exception of the program, or one result per test case. Node's `vm` is never the boundary here: the
// OS sandbox around this process is.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const Module = require("module");

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
fs.unlinkSync(process.argv[2]);
const emit = (event) => fs.writeSync(3, JSON.stringify(event) + "\n");
const describe = (err) => (err && err.name ? `${err.name}: ${err.message}` : String(err)).slice(0, 2000);
const source = fs.readFileSync(spec.entrypoint, "utf8");

function syntaxCheck(code, wrap) {
  try {
    new vm.Script(wrap ? Module.wrap(code) : code, { filename: spec.entrypoint });
    return true;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    const line = /:(\d+)\n/.exec(err.stack || "");
    emit({ syntax_error: describe(err), line: line ? Number(line[1]) : 0 });
    process.exitCode = 1;
    return false;
  }
}

const caseStatus = (err) => {
  if (err && (err.name === "AssertionError" || err.code === "ERR_ASSERTION")) return "fail";
  return err instanceof RangeError && /memory/i.test(err.message) ? "memory" : "error";
};

// A failure outside any case's own code (a timer, a promise nobody awaited) still fails the run: it is reported
// as the program's exception, blamed on the case in progress if any, and node exits 1 as it would by default.
function failRun(pending, err) {
  console.error(err && err.stack ? err.stack : String(err));
  if (pending.event) emit(Object.assign(pending.event, { status: caseStatus(err), message: describe(err) }));
  pending.event = null;
  emit({ exception: describe(err) });
  process.exit(1);
}

async function runCase(code, index, pending) {
  const start = process.hrtime.bigint();
  const event = { case: index, status: "pass", message: "" };
  pending.event = event;
  try {
    const value = vm.runInThisContext(code, { filename: `<test ${index}>` });
    // A case that returns a promise (`f().then(v => assert...)`) passes only if the promise resolves.
    if (value !== null && (typeof value === "object" || typeof value === "function") &&
        typeof value.then === "function") await value;
  } catch (err) {
    event.status = caseStatus(err);
    event.message = describe(err);
  }
  if (pending.event !== event) return;  // failRun reported it already
  pending.event = null;
  event.seconds = Number(process.hrtime.bigint() - start) / 1e9;
  emit(event);
}

async function runCases() {
  // Cases share the program's global scope, as Python's runner shares its module namespace.
  Object.assign(globalThis, {
    require, module: { exports: {} }, exports: {}, __filename: spec.entrypoint,
    __dirname: path.dirname(spec.entrypoint), assert: require("assert"),
  });
  const pending = { event: null };
  process.on("uncaughtException", (err) => failRun(pending, err));
  process.on("unhandledRejection", (err) => failRun(pending, err));
  // The event loop emptied while a case awaited a promise that can never settle now.
  process.on("exit", () => {
    if (pending.event) emit(Object.assign(pending.event, { status: "error", message: "its promise never settled" }));
  });
  try {
    vm.runInThisContext(source, { filename: spec.entrypoint });
  } catch (err) {
    console.error(err && err.stack ? err.stack : String(err));
    emit({ exception: describe(err) });
    process.exitCode = 1;
    return;
  }
  try {
    if (spec.setup) vm.runInThisContext(spec.setup, { filename: "<test setup>" });
  } catch (err) {
    emit({ setup_error: describe(err) });
    return;
  }
  for (const [index, code] of spec.cases.entries()) await runCase(code, index, pending);
}

if (spec.cases === null || spec.cases === undefined) {
  if (spec.entrypoint.endsWith(".mjs")) {
    import(spec.entrypoint);
  } else if (syntaxCheck(source, true)) {
    process.on("uncaughtException", (err) => {
      console.error(err && err.stack ? err.stack : String(err));
      emit({ exception: describe(err) });
      process.exit(1);
    });
    require(spec.entrypoint);
  }
} else if (syntaxCheck(source, false)) {
  runCases();
}
