/** The palette commands against a mocked `vscode` and a fake server connection. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, test } from "node:test";
import * as vscode from "vscode";
import { explain, fix, fixAll, generate, LanternServer, showStatus } from "../src/commands";
import { PALETTE_COMMANDS, RESTART_COMMAND, SERVER_COMMANDS } from "../src/constants";
import * as mock from "./support/vscode-mock";

const uri = mock.Uri.parse("file:///work/app/main.py");

/** A fake connection that records executed commands and answers with `answer`. */
function fakeServer(commands: string[], answer: unknown = null) {
  const executed: { command: string; args: unknown[] }[] = [];
  const server: LanternServer = {
    info: () => ({ version: "0.2.0", commands }),
    execute: async (command, args) => {
      executed.push({ command, args });
      if (answer instanceof Error) {
        throw answer;
      }
      return answer;
    },
    toLspDiagnostic: (diagnostic) => ({ message: diagnostic.message, range: diagnostic.range, source: diagnostic.source }) as never,
    toWorkspaceEdit: async () => new mock.WorkspaceEdit() as unknown as vscode.WorkspaceEdit,
    describe: () => "# Lantern status",
  };
  return { server, executed };
}

function openEditor(line: number, character: number, selectionEnd?: [number, number]) {
  const active = new mock.Position(line, character);
  const anchor = selectionEnd ? new mock.Position(...selectionEnd) : active;
  mock.window.activeTextEditor = {
    document: {
      uri,
      lineAt: (n: number) => ({ range: new mock.Range(new mock.Position(n, 0), new mock.Position(n, 20)) }),
    },
    selection: new mock.Selection(anchor, active),
  };
}

function callsTo(name: string) {
  return mock.calls.filter((call) => call.name === name);
}

beforeEach(() => mock.reset());

describe("Lantern: Generate…", () => {
  test("asks for a description and a kind, then sends uri, cursor, prompt and kind", async () => {
    openEditor(4, 8);
    mock.window.showInputBox = async () => "  parse the CSV and return totals per month ";
    mock.window.showQuickPick = async (items: { kind_: string }[]) => items.find((item) => item.kind_ === "function");
    const { server, executed } = fakeServer(["lantern.generate"]);
    await generate(server);
    assert.deepEqual(executed, [
      {
        command: "lantern.generate",
        args: ["file:///work/app/main.py", { line: 4, character: 8 }, "parse the CSV and return totals per month", "function"],
      },
    ]);
  });

  test("inserts returned text at the cursor", async () => {
    openEditor(2, 0);
    mock.window.showInputBox = async () => "a helper";
    mock.window.showQuickPick = async (items: unknown[]) => items[0];
    const { server } = fakeServer(["lantern.generate"], { text: "def helper():\n    return 1\n" });
    await generate(server);
    const [apply] = callsTo("workspace.applyEdit");
    const edit = apply.args[0] as mock.WorkspaceEdit;
    assert.deepEqual(edit.operations, [
      { op: "insert", uri: uri.toString(), position: new mock.Position(2, 0), text: "def helper():\n    return 1\n" },
    ]);
  });

  test("creates the files the server returns and opens the first", async () => {
    openEditor(0, 0);
    mock.window.showInputBox = async () => "a csv module with tests";
    mock.window.showQuickPick = async (items: { kind_: string }[]) => items.find((item) => item.kind_ === "files");
    const files = [
      { uri: "file:///work/app/csvsum.py", text: "def totals(): ...\n" },
      { uri: "file:///work/app/test_csvsum.py", text: "def test_totals(): ...\n" },
    ];
    const { server } = fakeServer(["lantern.generate"], { files });
    await generate(server);
    const edit = callsTo("workspace.applyEdit")[0].args[0] as mock.WorkspaceEdit;
    assert.deepEqual(
      edit.operations.map((op) => [op.op, op.uri]),
      [
        ["createFile", files[0].uri],
        ["insert", files[0].uri],
        ["createFile", files[1].uri],
        ["insert", files[1].uri],
      ],
    );
    assert.equal(String(callsTo("window.showTextDocument")[0].args[0]), files[0].uri);
  });

  test("escaping the description box sends nothing", async () => {
    openEditor(0, 0);
    mock.window.showInputBox = async () => undefined;
    const { server, executed } = fakeServer(["lantern.generate"]);
    await generate(server);
    assert.deepEqual(executed, []);
  });

  test("on a server without lantern.generate it says which version is needed and asks nothing", async () => {
    openEditor(0, 0);
    const { server, executed } = fakeServer([]);
    server.info = () => ({ version: "0.1.0", commands: [] });
    await generate(server);
    assert.deepEqual(executed, []);
    assert.equal(callsTo("window.showInputBox").length, 0);
    assert.match(String(callsTo("window.showWarningMessage")[0].args[0]), /needs Lantern server 0\.2\.0 or newer/);
  });
});

describe("Lantern: Explain Selection", () => {
  test("sends the selection and shows the markdown answer in a preview", async () => {
    openEditor(3, 0, [1, 4]);
    const { server, executed } = fakeServer(["lantern.explain"], "## What it does\n\nSums.");
    await explain(server);
    assert.deepEqual(executed[0].args, [uri.toString(), { start: { line: 1, character: 4 }, end: { line: 3, character: 0 } }]);
    const opened = callsTo("workspace.openTextDocument")[0].args[0] as { language: string; content: string };
    assert.deepEqual(opened, { language: "markdown", content: "## What it does\n\nSums." });
    assert.equal(callsTo("commands.executeCommand")[0].args[0], "markdown.showPreviewToSide");
  });

  test("with nothing selected, explains the cursor's line", async () => {
    openEditor(6, 3);
    const { server, executed } = fakeServer(["lantern.explain"], "x");
    await explain(server);
    assert.deepEqual(executed[0].args[1], { start: { line: 6, character: 0 }, end: { line: 6, character: 20 } });
  });

  test("a failing server command is reported, not thrown", async () => {
    openEditor(0, 0, [0, 5]);
    const { server } = fakeServer(["lantern.explain"], new Error("provider timed out"));
    await explain(server);
    assert.match(String(callsTo("window.showErrorMessage")[0].args[0]), /Explaining failed: provider timed out/);
    assert.equal(callsTo("workspace.openTextDocument").length, 0);
  });
});

describe("Lantern: Fix with AI", () => {
  test("sends Lantern's diagnostic under the cursor rather than another tool's", async () => {
    openEditor(1, 6);
    const lineRange = new mock.Range(new mock.Position(1, 4), new mock.Position(1, 14));
    const other = Object.assign(new mock.Diagnostic(lineRange, "E711 comparison to None"), { source: "flake8" });
    const ours = Object.assign(new mock.Diagnostic(lineRange, "Use `is None`"), { source: "lantern" });
    const elsewhere = Object.assign(new mock.Diagnostic(new mock.Range(new mock.Position(9, 0), new mock.Position(9, 1)), "far"), {
      source: "lantern",
    });
    mock.languages.getDiagnostics = () => [other, ours, elsewhere];
    let offered: string[] = [];
    mock.window.showQuickPick = async (items: { label: string }[]) => {
      offered = items.map((item) => item.label);
      return items[0];
    };
    const { server, executed } = fakeServer(["lantern.fix"]);
    await fix(server);
    assert.deepEqual(offered, ["Use `is None`", "E711 comparison to None"]);
    assert.deepEqual(executed[0].args, [uri.toString(), { message: "Use `is None`", range: lineRange, source: "lantern" }]);
  });

  test("with no finding at the cursor, sends the selected range", async () => {
    openEditor(2, 0, [0, 0]);
    const { server, executed } = fakeServer(["lantern.fix"]);
    await fix(server);
    assert.deepEqual(executed[0].args, [uri.toString(), { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }]);
  });
});

test("Fix All Safe Problems sends the file and reports the server's summary", async () => {
  openEditor(0, 0);
  const { server, executed } = fakeServer(["lantern.fixAll"], { applied: true, summary: "Applied every safe fix." });
  await fixAll(server);
  assert.deepEqual(executed, [{ command: "lantern.fixAll", args: ["file:///work/app/main.py"] }]);
  const shown = callsTo("window.showInformationMessage").map((call) => call.args[0]);
  assert.deepEqual(shown, ["Lantern: Applied every safe fix."]);
});

test("Show Status works without the server's lantern.status, from the client's own view", async () => {
  const { server, executed } = fakeServer([]);
  await showStatus(server);
  assert.deepEqual(executed, []);
  assert.equal((callsTo("workspace.openTextDocument")[0].args[0] as { content: string }).content, "# Lantern status");
});

describe("package.json commands", () => {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"));
  const declared: string[] = manifest.contributes.commands.map((command: { command: string }) => command.command);

  test("every palette command is declared, and none reuses a server command's name", () => {
    for (const id of [...Object.values(PALETTE_COMMANDS), RESTART_COMMAND]) {
      assert.ok(declared.includes(id), `${id} is not in contributes.commands`);
    }
    // vscode-languageclient registers the server's names itself; a clash fails at start-up.
    const serverNames = new Set<string>(Object.values(SERVER_COMMANDS));
    assert.deepEqual(declared.filter((id) => serverNames.has(id)), []);
  });

  test("the extension activates for every language Lantern analyses", () => {
    assert.deepEqual(
      manifest.activationEvents,
      ["python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java"].map((l) => `onLanguage:${l}`),
    );
  });
});
