/**
 * The wire shape of Lantern's commands: the arguments the client sends and how it reads
 * the results. Plain LSP JSON only (no `vscode` types) so it is unit-tested as is.
 *
 * Arguments are positional, as the server's handlers declare them:
 *   lantern.generate(uri, position, prompt, kind)   lantern.explain(uri, range)
 *   lantern.fix(uri, diagnostic | range)            lantern.analyzeFile(uri)
 *   lantern.fixAll(uri)                             lantern.history(action?, id?)
 */
import type { Diagnostic, Position, Range, WorkspaceEdit } from "vscode-languageclient";

/** What "Lantern: Generate…" can ask for; `files` creates new files instead of inserting. */
export const GENERATE_KINDS = [
  { kind: "code", label: "Code at the cursor", detail: "Insert the code described at the cursor." },
  { kind: "function", label: "Function", detail: "A function (with its docstring) at the cursor." },
  { kind: "class", label: "Class", detail: "A class at the cursor." },
  { kind: "tests", label: "Tests", detail: "Tests for the code around the cursor." },
  { kind: "docs", label: "Documentation", detail: "A docstring or doc comment for the code at the cursor." },
  { kind: "files", label: "New files", detail: "One or more new files (e.g. a module and its tests)." },
  { kind: "api", label: "HTTP API", detail: "An API handler (and OpenAPI document) for the project's web framework." },
  { kind: "ui", label: "UI component", detail: "A component for the project's UI framework." },
  { kind: "cli", label: "Command-line tool", detail: "A CLI with argument parsing, help and exit codes." },
] as const;

export type GenerateKind = (typeof GENERATE_KINDS)[number]["kind"];

export function generateArguments(uri: string, position: Position, prompt: string, kind: GenerateKind): unknown[] {
  return [uri, { line: position.line, character: position.character }, prompt, kind];
}

export function explainArguments(uri: string, range: Range): unknown[] {
  return [uri, plainRange(range)];
}

/** Prefer the diagnostic (the server gets its code and message); else the selected range. */
export function fixArguments(uri: string, target: { diagnostic?: Diagnostic; range: Range }): unknown[] {
  return [uri, target.diagnostic ?? plainRange(target.range)];
}

export function analyzeFileArguments(uri: string): unknown[] {
  return [uri];
}

export function fixAllArguments(uri: string): unknown[] {
  return [uri];
}

function plainRange(range: Range): Range {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

/** What to do with the answer to `lantern.generate` or `lantern.fix`. */
export type EditOutcome =
  | { kind: "applied" }
  | { kind: "edit"; edit: WorkspaceEdit }
  | { kind: "insert"; text: string }
  | { kind: "files"; files: { uri: string; text: string }[] }
  | { kind: "message"; markdown: string }
  | { kind: "error"; message: string };

/** The sentence a server put in `{error}` (or `{applied: false, summary}`), if any. */
export function errorOf(result: unknown): string | undefined {
  if (typeof result !== "object" || result === null) {
    return undefined;
  }
  const value = result as Record<string, unknown>;
  if (typeof value.error === "string" && value.error) {
    return value.error;
  }
  if (value.applied === false) {
    return typeof value.summary === "string" && value.summary ? value.summary : "The edit was not applied.";
  }
  return undefined;
}

/**
 * Read an edit-producing command's result. A server that applied its edit itself through
 * `workspace/applyEdit` returns nothing (or a summary); otherwise it returns the edit, the
 * text to insert, or the files to create.
 */
export function interpretEditResult(result: unknown): EditOutcome {
  if (result === null || result === undefined || result === true) {
    return { kind: "applied" };
  }
  if (typeof result === "string") {
    return { kind: "insert", text: result };
  }
  if (typeof result !== "object") {
    return { kind: "applied" };
  }
  const value = result as Record<string, unknown>;
  const error = errorOf(value);
  if (error !== undefined) {
    return { kind: "error", message: error };
  }
  if (isWorkspaceEdit(value)) {
    return { kind: "edit", edit: value as WorkspaceEdit };
  }
  if (isWorkspaceEdit(value.edit)) {
    return { kind: "edit", edit: value.edit as WorkspaceEdit };
  }
  if (Array.isArray(value.files)) {
    const files = value.files.filter(
      (file): file is { uri: string; text: string } =>
        typeof file === "object" && file !== null && typeof file.uri === "string" && typeof file.text === "string",
    );
    if (files.length > 0) {
      return { kind: "files", files };
    }
  }
  for (const key of ["text", "code", "insertText"]) {
    if (typeof value[key] === "string") {
      return { kind: "insert", text: value[key] as string };
    }
  }
  if (value.applied === true) {
    return { kind: "applied" };
  }
  return { kind: "message", markdown: toMarkdown(result) };
}

function isWorkspaceEdit(value: unknown): boolean {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const edit = value as Record<string, unknown>;
  return (
    (typeof edit.changes === "object" && edit.changes !== null) ||
    Array.isArray(edit.documentChanges)
  );
}

/** Render a command's answer (markdown, a MarkupContent, or any JSON) as markdown. */
export function toMarkdown(result: unknown): string {
  if (typeof result === "string") {
    return result;
  }
  if (typeof result === "object" && result !== null) {
    const value = result as Record<string, unknown>;
    const error = errorOf(value);
    if (error !== undefined) {
      return `**Lantern could not do this:** ${error}`;
    }
    for (const key of ["markdown", "value", "contents", "explanation"]) {
      if (typeof value[key] === "string") {
        return value[key] as string;
      }
    }
  }
  if (result === undefined || result === null) {
    return "_The server returned nothing._";
  }
  return "```json\n" + JSON.stringify(result, null, 2) + "\n```";
}
