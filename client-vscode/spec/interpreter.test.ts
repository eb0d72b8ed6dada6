import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  classifyProbe,
  installCommand,
  Interpreter,
  probeArgs,
  PythonExtensionApi,
  resolveInterpreter,
  serverArgs,
} from "../src/interpreter";

const base = { home: "/home/ada", platform: "linux" as NodeJS.Platform, workspaceFolder: "/work/app" };

function pythonApi(active?: { id: string; path: string }, executable?: string, execCommand?: string[]): PythonExtensionApi {
  return {
    environments: {
      getActiveEnvironmentPath: () => active,
      resolveEnvironment: async () => (executable ? { executable: { uri: { fsPath: executable } } } : undefined),
    },
    settings: { getExecutionDetails: () => ({ execCommand }) },
  };
}

describe("resolveInterpreter", () => {
  test("the lantern.interpreter setting wins over the Python extension", async () => {
    const result = await resolveInterpreter({
      ...base,
      setting: "/opt/py/bin/python",
      pythonApi: pythonApi({ id: "x", path: "/env/bin/python" }, "/env/bin/python"),
    });
    assert.deepEqual(result, { command: "/opt/py/bin/python", args: [], source: "setting" });
  });

  test("~ and ${workspaceFolder} in the setting are expanded", async () => {
    assert.equal((await resolveInterpreter({ ...base, setting: "~/venv/bin/python" })).command, "/home/ada/venv/bin/python");
    assert.equal(
      (await resolveInterpreter({ ...base, setting: "${workspaceFolder}/.venv/bin/python" })).command,
      "/work/app/.venv/bin/python",
    );
  });

  test("a blank setting falls through to the Python extension's resolved executable", async () => {
    const result = await resolveInterpreter({
      ...base,
      setting: "   ",
      pythonApi: pythonApi({ id: "conda", path: "/envs/ml" }, "/envs/ml/bin/python"),
    });
    assert.deepEqual(result, { command: "/envs/ml/bin/python", args: [], source: "python-extension" });
  });

  test("an environment the extension cannot resolve is used by its path", async () => {
    const result = await resolveInterpreter({ ...base, setting: "", pythonApi: pythonApi({ id: "v", path: "/v/bin/python" }) });
    assert.equal(result.command, "/v/bin/python");
  });

  test("the older execution-details API keeps the interpreter's own arguments", async () => {
    const api: PythonExtensionApi = { settings: { getExecutionDetails: () => ({ execCommand: ["conda", "run", "-n", "ml", "python"] }) } };
    const result = await resolveInterpreter({ ...base, setting: "", pythonApi: api });
    assert.deepEqual(result, { command: "conda", args: ["run", "-n", "ml", "python"], source: "python-extension" });
    assert.deepEqual(serverArgs(result), ["run", "-n", "ml", "python", "-m", "lantern", "serve"]);
  });

  test("without setting or extension: python3, or python on Windows", async () => {
    assert.deepEqual(await resolveInterpreter({ ...base, setting: undefined }), { command: "python3", args: [], source: "default" });
    assert.equal((await resolveInterpreter({ ...base, setting: "", platform: "win32" })).command, "python");
  });

  test("an extension with no active environment falls back to the default", async () => {
    const result = await resolveInterpreter({ ...base, setting: "", pythonApi: pythonApi(undefined, undefined, undefined) });
    assert.equal(result.source, "default");
  });
});

describe("classifyProbe", () => {
  test("a missing interpreter is told apart from a missing package", () => {
    assert.deepEqual(classifyProbe({ errorCode: "ENOENT", exitCode: null, stdout: "", stderr: "" }), { kind: "no-interpreter" });
    assert.deepEqual(
      classifyProbe({ exitCode: 1, stdout: "", stderr: "Traceback...\nModuleNotFoundError: No module named 'lantern'\n" }),
      { kind: "no-lantern" },
    );
  });

  test("success reports the printed version", () => {
    assert.deepEqual(classifyProbe({ exitCode: 0, stdout: "0.1.0", stderr: "" }), { kind: "ok", version: "0.1.0" });
  });

  test("any other failure carries the last line of stderr", () => {
    const result = classifyProbe({ exitCode: 1, stdout: "", stderr: "Traceback\nImportError: libtree-sitter.so missing\n" });
    assert.deepEqual(result, { kind: "failed", detail: "ImportError: libtree-sitter.so missing" });
  });

  test("the probe imports lantern with the interpreter's own arguments first", () => {
    const args = probeArgs({ command: "conda", args: ["run", "python"], source: "setting" });
    assert.deepEqual(args.slice(0, 3), ["run", "python", "-c"]);
    assert.match(args[3], /import .*lantern/);
  });
});

describe("installCommand", () => {
  const plain: Interpreter = { command: "/usr/bin/python3", args: [], source: "default" };
  test("installs from a checkout with the same interpreter (lantern-lsp is not on PyPI)", () => {
    assert.equal(installCommand(plain, "linux"), "/usr/bin/python3 -m pip install /path/to/lantern");
  });
  test("quotes paths with spaces for a POSIX shell and for PowerShell", () => {
    const spaced: Interpreter = { command: "/Users/Ada Lovelace/venv/bin/python", args: [], source: "setting" };
    assert.equal(installCommand(spaced, "darwin"), "'/Users/Ada Lovelace/venv/bin/python' -m pip install /path/to/lantern");
    const windows: Interpreter = { command: "C:\\Program Files\\Python312\\python.exe", args: [], source: "setting" };
    assert.equal(
      installCommand(windows, "win32"),
      '& "C:\\Program Files\\Python312\\python.exe" -m pip install /path/to/lantern',
    );
  });
});
