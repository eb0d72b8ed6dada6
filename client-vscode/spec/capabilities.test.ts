import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { availability, compareVersions, contextKeys } from "../src/capabilities";
import { SERVER_COMMANDS } from "../src/constants";

describe("availability", () => {
  test("a command the server advertises is available", () => {
    assert.deepEqual(availability("explain", { version: "0.1.0", commands: ["lantern.explain"] }), { available: true });
  });

  test("an older server names the version that is needed", () => {
    const result = availability("generate", { version: "0.1.0", commands: [] });
    assert.equal(result.available, false);
    assert.match(!result.available ? result.reason : "", /lantern\.generate needs Lantern server 0\.2\.0 or newer \(the running server is 0\.1\.0\)/);
    assert.match(!result.available ? result.reason : "", /pip install \/path\/to\/lantern/);
  });

  test("a new enough server that does not advertise it points at the log and AI settings", () => {
    const result = availability("fix", { version: "0.3.0", commands: ["lantern.explain"] });
    assert.equal(result.available, false);
    assert.match(!result.available ? result.reason : "", /does not offer lantern\.fix right now/);
  });

  test("a newer server is trusted by what it advertises, not by its version", () => {
    assert.deepEqual(availability("history", { version: "9.0.0", commands: ["lantern.history"] }), { available: true });
    assert.deepEqual(availability("history", { commands: ["lantern.history"] }), { available: true });
  });

  test("without a running server nothing is available", () => {
    const result = availability("status", undefined);
    assert.equal(result.available, false);
    assert.match(!result.available ? result.reason : "", /not running/);
  });
});

test("context keys follow the advertised commands", () => {
  const keys = contextKeys({ version: "0.2.0", commands: ["lantern.explain", "lantern.unknownFutureCommand"] });
  assert.equal(keys["lantern.server.explain"], true);
  assert.equal(keys["lantern.server.generate"], false);
  assert.equal(Object.keys(keys).length, Object.keys(SERVER_COMMANDS).length);
});

test("versions compare numerically, part by part", () => {
  assert.equal(compareVersions("0.10.0", "0.9.9"), 1);
  assert.equal(compareVersions("0.2", "0.2.0"), 0);
  assert.equal(compareVersions("0.1.5", "0.2.0"), -1);
  assert.equal(compareVersions("1.0.0+local", "1.0.0"), 0);
});
