/**
 * A small stand-in for the `vscode` module: the value types the client constructs and
 * recordable `window` / `workspace` / `commands` functions that each test replaces.
 * Tests that need real VS Code behaviour do not belong here (no VS Code is downloaded).
 */

export class Position {
  constructor(
    public readonly line: number,
    public readonly character: number,
  ) {}
  isBefore(other: Position): boolean {
    return this.line < other.line || (this.line === other.line && this.character < other.character);
  }
  isEqual(other: Position): boolean {
    return this.line === other.line && this.character === other.character;
  }
}

export class Range {
  constructor(
    public readonly start: Position,
    public readonly end: Position,
  ) {}
  get isEmpty(): boolean {
    return this.start.isEqual(this.end);
  }
  contains(position: Position): boolean {
    return !position.isBefore(this.start) && !this.end.isBefore(position);
  }
  intersection(other: Range): Range | undefined {
    const start = this.start.isBefore(other.start) ? other.start : this.start;
    const end = this.end.isBefore(other.end) ? this.end : other.end;
    return end.isBefore(start) ? undefined : new Range(start, end);
  }
}

export class Selection extends Range {
  constructor(
    public readonly anchor: Position,
    public readonly active: Position,
  ) {
    super(anchor.isBefore(active) ? anchor : active, anchor.isBefore(active) ? active : anchor);
  }
}

export class Uri {
  private constructor(private readonly value: string) {}
  static parse(value: string): Uri {
    return new Uri(value);
  }
  static file(path: string): Uri {
    return new Uri(`file://${path}`);
  }
  get fsPath(): string {
    return this.value.replace(/^file:\/\//, "");
  }
  toString(): string {
    return this.value;
  }
}

export class Diagnostic {
  source?: string;
  code?: string | number | { value: string | number; target: Uri };
  constructor(
    public range: Range,
    public message: string,
    public severity = 0,
  ) {}
}

/** Records operations in order, so a test can assert what would be applied. */
export class WorkspaceEdit {
  readonly operations: { op: "insert" | "createFile"; uri: string; position?: Position; text?: string }[] = [];
  insert(uri: Uri, position: Position, text: string): void {
    this.operations.push({ op: "insert", uri: uri.toString(), position, text });
  }
  createFile(uri: Uri): void {
    this.operations.push({ op: "createFile", uri: uri.toString() });
  }
}

export class ThemeColor {
  constructor(public readonly id: string) {}
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class CancellationTokenSource {
  token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
  cancel(): void {
    this.token.isCancellationRequested = true;
  }
}

type Fn = (...args: any[]) => any;

/** Every call to a mocked API function, for assertions. */
export const calls: { name: string; args: unknown[] }[] = [];

function recorder(name: string, implementation: Fn = () => undefined): Fn {
  return (...args: unknown[]) => {
    calls.push({ name, args });
    return implementation(...args);
  };
}

export const window: Record<string, any> = {};
export const workspace: Record<string, any> = {};
export const commands: Record<string, any> = {};
export const languages: Record<string, any> = {};
export const env: Record<string, any> = {};
export const extensions: Record<string, any> = {};

/** Reset every API function to a harmless default and forget recorded calls. */
export function reset(): void {
  calls.length = 0;
  Object.assign(window, {
    activeTextEditor: undefined,
    showInputBox: recorder("window.showInputBox"),
    showQuickPick: recorder("window.showQuickPick"),
    showWarningMessage: recorder("window.showWarningMessage", async () => undefined),
    showErrorMessage: recorder("window.showErrorMessage", async () => undefined),
    showInformationMessage: recorder("window.showInformationMessage", async () => undefined),
    showTextDocument: recorder("window.showTextDocument", async () => undefined),
    withProgress: recorder("window.withProgress", async (_options: unknown, task: Fn) =>
      task({ report() {} }, new CancellationTokenSource().token),
    ),
  });
  Object.assign(workspace, {
    applyEdit: recorder("workspace.applyEdit", async () => true),
    openTextDocument: recorder("workspace.openTextDocument", async (options: { content: string }) => ({
      uri: Uri.parse("untitled:Untitled-1"),
      getText: () => options.content,
    })),
  });
  Object.assign(commands, {
    executeCommand: recorder("commands.executeCommand", async () => undefined),
    registerCommand: recorder("commands.registerCommand", () => ({ dispose() {} })),
  });
  Object.assign(languages, {
    getDiagnostics: recorder("languages.getDiagnostics", () => []),
  });
}

reset();
