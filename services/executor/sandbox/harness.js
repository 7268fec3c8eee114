// Runs one JavaScript job inside the sandbox (process C of services/executor/sandbox/worker.py).
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

function runCases() {
  // Cases share the program's global scope, as Python's runner shares its module namespace.
  Object.assign(globalThis, {
    require, module: { exports: {} }, exports: {}, __filename: spec.entrypoint,
    __dirname: path.dirname(spec.entrypoint), assert: require("assert"),
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
  spec.cases.forEach((code, index) => {
    const start = process.hrtime.bigint();
    const event = { case: index, status: "pass", message: "" };
    try {
      vm.runInThisContext(code, { filename: `<test ${index}>` });
    } catch (err) {
      const failed = err && (err.name === "AssertionError" || err.code === "ERR_ASSERTION");
      event.status = failed ? "fail" : (err instanceof RangeError && /memory/i.test(err.message) ? "memory" : "error");
      event.message = describe(err);
    }
    event.seconds = Number(process.hrtime.bigint() - start) / 1e9;
    emit(event);
  });
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
