import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStatus, presentStatus } from "../src/status";

test("each server state has its own icon; problems get a background", () => {
  const idle = presentStatus("idle", "");
  const busy = presentStatus("analysing", "3 files");
  const error = presentStatus("error", "crashed rule");
  const unreachable = presentStatus("unreachable", "ollama: connection refused");
  assert.match(idle.text, /\$\(check\)/);
  assert.match(busy.text, /~spin/);
  assert.match(busy.tooltip, /3 files/);
  assert.equal(error.background, "statusBarItem.errorBackground");
  assert.equal(unreachable.background, "statusBarItem.warningBackground");
  assert.match(unreachable.tooltip, /connection refused/);
  assert.equal(idle.background, undefined);
  assert.equal(new Set([idle.text, busy.text, error.text, unreachable.text]).size, 4);
});

test("a state from a newer server is shown by name instead of being dropped", () => {
  assert.match(presentStatus("indexing", "").text, /indexing/);
});

test("malformed notifications fall back to idle with no message", () => {
  assert.deepEqual(parseStatus(undefined), { state: "idle", message: "" });
  assert.deepEqual(parseStatus({ state: 3, message: ["x"] }), { state: "idle", message: "" });
  assert.deepEqual(parseStatus({ state: "analysing", message: "main.py" }), { state: "analysing", message: "main.py" });
});
