import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createArgs,
  environmentDirectory,
  environmentPython,
  hasServerWheel,
  installArgs,
  noPythonMessage,
  pythonCandidates,
  supportsServer,
  versionArgs,
  wheelsDirectory,
} from "../src/bundled";

describe("the bundled server", () => {
  test("the wheels live in server/wheels and must include Lantern's own", () => {
    assert.equal(wheelsDirectory("/ext"), "/ext/server/wheels");
    assert.equal(hasServerWheel(["pygls-2.1.1-py3-none-any.whl", "lantern_lsp-0.1.0-py3-none-any.whl"]), true);
    assert.equal(hasServerWheel(["pygls-2.1.1-py3-none-any.whl"]), false);
    assert.equal(hasServerWheel([]), false);
  });

  test("Pythons are tried newest first, plain names last", () => {
    assert.deepEqual(
      pythonCandidates("linux").map((i) => i.command),
      ["python3.13", "python3.12", "python3.11", "python3", "python"],
    );
    assert.deepEqual(pythonCandidates("win32")[0], { command: "py", args: ["-3.13"], source: "default" });
  });

  test("only Python 3.11 or newer runs the server", () => {
    assert.equal(supportsServer("3.11"), true);
    assert.equal(supportsServer("3.13\n"), true);
    assert.equal(supportsServer("4.0"), true);
    assert.equal(supportsServer("3.10"), false);
    assert.equal(supportsServer("2.7"), false);
    assert.equal(supportsServer("garbage"), false);
    assert.deepEqual(versionArgs({ command: "py", args: ["-3.12"], source: "default" }).slice(0, 2), ["-3.12", "-c"]);
  });

  test("one private environment per extension version, installed offline from the wheels", () => {
    const env = environmentDirectory("/storage", "0.2.0");
    assert.equal(env, "/storage/server-0.2.0");
    assert.equal(environmentPython(env, "linux").command, "/storage/server-0.2.0/bin/python");
    assert.match(environmentPython("C:\\s\\server-0.2.0", "win32").command, /Scripts\\python\.exe$/);
    assert.deepEqual(createArgs({ command: "python3.12", args: [], source: "default" }, env), ["-m", "venv", env]);
    const install = installArgs("/ext/server/wheels");
    assert.deepEqual(install.slice(0, 3), ["-m", "pip", "install"]);
    assert.ok(install.includes("--no-index"), "never reaches for a package index");
    assert.equal(install[install.indexOf("--find-links") + 1], "/ext/server/wheels");
    assert.equal(install[install.length - 1], "lantern-lsp");
  });

  test("without a usable Python the message names what was tried and what to do", () => {
    const message = noPythonMessage(pythonCandidates("linux"));
    assert.match(message, /Python 3\.11 or newer/);
    assert.match(message, /python3\.13, python3\.12, python3\.11, python3, python/);
    assert.match(message, /lantern\.interpreter/);
  });
});
