/**
 * The palette commands. Each checks that the running server advertises the command it
 * needs, gathers its arguments from the editor, runs it with a cancellable progress
 * notification, and shows or applies the answer.
 *
 * The server connection is an interface so the commands can be tested with `vscode` mocked.
 */
import * as vscode from "vscode";
import type { Diagnostic, WorkspaceEdit } from "vscode-languageclient";
import { availability, ServerInfo } from "./capabilities";
import { PALETTE_COMMANDS, SERVER_COMMANDS, ServerCommandKey } from "./constants";
import {
  analyzeFileArguments,
  explainArguments,
  fixAllArguments,
  fixArguments,
  GENERATE_KINDS,
  generateArguments,
  errorOf,
  interpretEditResult,
  toMarkdown,
} from "./protocol";

/** What the commands need from the running language client. */
export interface LanternServer {
  info(): ServerInfo | undefined;
  execute(command: string, args: unknown[], token: vscode.CancellationToken): Promise<unknown>;
  toLspDiagnostic(diagnostic: vscode.Diagnostic): Diagnostic;
  toWorkspaceEdit(edit: WorkspaceEdit): Promise<vscode.WorkspaceEdit>;
  /** Markdown describing the client side: interpreter, server version, state. */
  describe(): string;
}

export function registerCommands(server: LanternServer): vscode.Disposable[] {
  const handlers: Record<ServerCommandKey, () => Promise<unknown>> = {
    generate: () => generate(server),
    explain: () => explain(server),
    fix: () => fix(server),
    fixAll: () => fixAll(server),
    analyzeFile: () => analyzeFile(server),
    analyzeWorkspace: () => run(server, "analyzeWorkspace", "Analysing workspace", []),
    clearCache: () => clearCache(server),
    status: () => showStatus(server),
    history: () => history(server),
  };
  return (Object.keys(handlers) as ServerCommandKey[]).map((key) =>
    vscode.commands.registerCommand(PALETTE_COMMANDS[key], handlers[key]),
  );
}

/** Run a server command with progress; undefined when unavailable, cancelled or failed. */
export async function run(
  server: LanternServer,
  key: ServerCommandKey,
  title: string,
  args: unknown[],
): Promise<{ result: unknown } | undefined> {
  const state = availability(key, server.info());
  if (!state.available) {
    void vscode.window.showWarningMessage(state.reason);
    return undefined;
  }
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Lantern: ${title}…`, cancellable: true },
      async (_progress, token) => {
        const result = await server.execute(SERVER_COMMANDS[key], args, token);
        return token.isCancellationRequested ? undefined : { result };
      },
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Lantern: ${title} failed: ${errorMessage(error)}`);
    return undefined;
  }
}

export async function generate(server: LanternServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage("Lantern: open a file and place the cursor where the code should go.");
    return;
  }
  const state = availability("generate", server.info());
  if (!state.available) {
    void vscode.window.showWarningMessage(state.reason);
    return;
  }
  const prompt = await vscode.window.showInputBox({
    title: "Lantern: Generate",
    prompt: "Describe the code to generate",
    placeHolder: "e.g. parse the CSV and return totals per month",
    ignoreFocusOut: true,
  });
  if (!prompt?.trim()) {
    return;
  }
  const picked = await vscode.window.showQuickPick(
    GENERATE_KINDS.map((item) => ({ label: item.label, detail: item.detail, kind_: item.kind })),
    { title: "Lantern: what to generate", ignoreFocusOut: true },
  );
  if (!picked) {
    return;
  }
  const uri = editor.document.uri;
  const position = editor.selection.active;
  const answer = await run(server, "generate", "Generating", generateArguments(uri.toString(), position, prompt.trim(), picked.kind_));
  if (answer) {
    await applyEditResult(server, answer.result, uri, position);
  }
}

export async function explain(server: LanternServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage("Lantern: select the code to explain.");
    return;
  }
  // With nothing selected, explain the line under the cursor.
  const range = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
  const answer = await run(server, "explain", "Explaining", explainArguments(editor.document.uri.toString(), range));
  const error = answer && errorOf(answer.result);
  if (error) {
    void vscode.window.showWarningMessage(`Lantern: ${error}`);
  } else if (answer) {
    await showMarkdown(toMarkdown(answer.result));
  }
}

export async function fix(server: LanternServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage("Lantern: place the cursor on a finding or select the code to fix.");
    return;
  }
  const uri = editor.document.uri;
  const selection = editor.selection;
  const here = vscode.languages
    .getDiagnostics(uri)
    .filter((diagnostic) => diagnostic.range.intersection(selection) !== undefined || diagnostic.range.contains(selection.active));
  // Lantern's own findings first: the server knows their codes and fixes.
  here.sort((a, b) => Number(b.source === "lantern") - Number(a.source === "lantern"));
  let diagnostic = here[0];
  if (here.length > 1) {
    const picked = await vscode.window.showQuickPick(
      here.map((item) => ({ label: item.message, description: [item.source, codeOf(item)].filter(Boolean).join(" "), item })),
      { title: "Lantern: which finding to fix?" },
    );
    if (!picked) {
      return;
    }
    diagnostic = picked.item;
  }
  const range = diagnostic?.range ?? (selection.isEmpty ? editor.document.lineAt(selection.active.line).range : selection);
  const args = fixArguments(uri.toString(), {
    diagnostic: diagnostic ? server.toLspDiagnostic(diagnostic) : undefined,
    range,
  });
  const answer = await run(server, "fix", "Fixing with AI", args);
  if (answer) {
    await applyEditResult(server, answer.result, uri, range.start);
  }
}

async function analyzeFile(server: LanternServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage("Lantern: open the file to analyse.");
    return;
  }
  await run(server, "analyzeFile", "Analysing file", analyzeFileArguments(editor.document.uri.toString()));
}

/** Every safe static fix of the file at once; the server applies the edit itself. */
export async function fixAll(server: LanternServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage("Lantern: open the file to fix.");
    return;
  }
  const answer = await run(server, "fixAll", "Fixing all safe problems", fixAllArguments(editor.document.uri.toString()));
  const summary = (answer?.result as { summary?: unknown } | undefined)?.summary;
  if (typeof summary === "string") {
    void vscode.window.showInformationMessage(`Lantern: ${summary}`);
  }
}

async function clearCache(server: LanternServer): Promise<void> {
  const answer = await run(server, "clearCache", "Clearing the cache", []);
  if (answer) {
    const detail = typeof answer.result === "string" ? `: ${answer.result}` : ".";
    void vscode.window.showInformationMessage(`Lantern cache cleared${detail}`);
  }
}

/** Always works: the client's own view, plus the server's report when it offers one. */
export async function showStatus(server: LanternServer): Promise<void> {
  let markdown = server.describe();
  if (availability("status", server.info()).available) {
    const answer = await run(server, "status", "Reading status", []);
    if (answer) {
      markdown += "\n\n## Server\n\n" + toMarkdown(answer.result);
    }
  }
  await showMarkdown(markdown);
}

async function history(server: LanternServer): Promise<void> {
  const answer = await run(server, "history", "Reading generation history", []);
  if (answer) {
    await showMarkdown("# Lantern: generation history\n\n" + toMarkdown(answer.result));
  }
}

/** Apply what generate or fix returned: an edit, text at `position`, or new files. */
export async function applyEditResult(
  server: LanternServer,
  result: unknown,
  uri: vscode.Uri,
  position: vscode.Position,
): Promise<void> {
  const outcome = interpretEditResult(result);
  switch (outcome.kind) {
    case "applied":
      return;
    case "edit": {
      const edit = await server.toWorkspaceEdit(outcome.edit);
      await applyOrWarn(edit);
      return;
    }
    case "insert": {
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, position, outcome.text);
      await applyOrWarn(edit);
      return;
    }
    case "files": {
      const edit = new vscode.WorkspaceEdit();
      const uris = outcome.files.map((file) => vscode.Uri.parse(file.uri));
      outcome.files.forEach((file, index) => {
        edit.createFile(uris[index], { ignoreIfExists: false, overwrite: false });
        edit.insert(uris[index], new vscode.Position(0, 0), file.text);
      });
      if (await applyOrWarn(edit)) {
        await vscode.window.showTextDocument(uris[0]);
      }
      return;
    }
    case "message":
      await showMarkdown(outcome.markdown);
      return;
    case "error":
      void vscode.window.showWarningMessage(`Lantern: ${outcome.message}`);
      return;
  }
}

async function applyOrWarn(edit: vscode.WorkspaceEdit): Promise<boolean> {
  const applied = await vscode.workspace.applyEdit(edit);
  if (!applied) {
    void vscode.window.showWarningMessage("Lantern: the edit could not be applied (the file changed, or a new file already exists).");
  }
  return applied;
}

/** Show markdown in VS Code's preview, beside the editor. */
export async function showMarkdown(markdown: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: markdown });
  await vscode.commands.executeCommand("markdown.showPreviewToSide", document.uri);
}

function codeOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  if (code === undefined) {
    return "";
  }
  return typeof code === "object" ? String(code.value) : String(code);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
