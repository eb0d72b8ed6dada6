/**
 * Which Python runs the server, and whether Lantern is importable there.
 *
 * Pure logic, no `vscode` import: the extension passes in the setting, the Python
 * extension's API (when installed) and the platform, so every rule here is unit-tested.
 */
import { INSTALL_SOURCE } from "./constants";

/** The part of the Python extension's exported API (`ms-python.python`) that we use. */
export interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: unknown): { id: string; path: string } | undefined;
    resolveEnvironment?(
      environment: { id: string; path: string } | string,
    ): Promise<{ executable?: { uri?: { fsPath: string } } } | undefined>;
  };
  /** The older API, still exported: the command that runs the active interpreter. */
  settings?: {
    getExecutionDetails?(resource?: unknown): { execCommand: string[] | undefined };
  };
}

export type InterpreterSource = "setting" | "python-extension" | "default";

/** A way to run Python: `command args... -m lantern serve`. */
export interface Interpreter {
  command: string;
  /** Arguments that belong to the interpreter itself (e.g. `conda run -n env python`). */
  args: string[];
  source: InterpreterSource;
}

export interface ResolveOptions {
  /** The `lantern.interpreter` setting, possibly empty. */
  setting: string | undefined;
  workspaceFolder?: string;
  home: string;
  platform: NodeJS.Platform;
  pythonApi?: PythonExtensionApi;
  /** The resource (workspace folder URI) to ask the Python extension about. */
  resource?: unknown;
}

/** Setting first, then the Python extension's active environment, then `python3`. */
export async function resolveInterpreter(options: ResolveOptions): Promise<Interpreter> {
  const configured = expandSetting(options.setting ?? "", options);
  if (configured) {
    return { command: configured, args: [], source: "setting" };
  }
  const fromExtension = await fromPythonExtension(options.pythonApi, options.resource);
  if (fromExtension) {
    return { ...fromExtension, source: "python-extension" };
  }
  return { command: defaultPython(options.platform), args: [], source: "default" };
}

export function defaultPython(platform: NodeJS.Platform): string {
  // Windows installs `python` (and the `py` launcher), never `python3.exe` by default.
  return platform === "win32" ? "python" : "python3";
}

function expandSetting(value: string, options: ResolveOptions): string {
  let result = value.trim();
  if (!result) {
    return "";
  }
  if (result === "~" || result.startsWith("~/") || result.startsWith("~\\")) {
    result = options.home + result.slice(1);
  }
  result = result.replace(/\$\{userHome\}/g, options.home);
  if (options.workspaceFolder !== undefined) {
    result = result.replace(/\$\{workspaceFolder\}/g, options.workspaceFolder);
  }
  return result;
}

async function fromPythonExtension(
  api: PythonExtensionApi | undefined,
  resource: unknown,
): Promise<{ command: string; args: string[] } | undefined> {
  if (!api) {
    return undefined;
  }
  const environments = api.environments;
  if (environments) {
    const active = environments.getActiveEnvironmentPath(resource);
    if (active?.path) {
      // `path` can be an environment folder (a conda env); resolving gives its executable.
      const resolved = environments.resolveEnvironment
        ? await environments.resolveEnvironment(active).catch(() => undefined)
        : undefined;
      const executable = resolved?.executable?.uri?.fsPath;
      return { command: executable || active.path, args: [] };
    }
  }
  const execCommand = api.settings?.getExecutionDetails?.(resource)?.execCommand;
  if (execCommand && execCommand.length > 0 && execCommand[0]) {
    return { command: execCommand[0], args: execCommand.slice(1) };
  }
  return undefined;
}

/** Arguments that start the server with `interpreter`. */
export function serverArgs(interpreter: Interpreter): string[] {
  return [...interpreter.args, "-m", "lantern", "serve"];
}

/** Arguments that print Lantern's version, or fail if it is not importable. */
export function probeArgs(interpreter: Interpreter): string[] {
  return [
    ...interpreter.args,
    "-c",
    "import sys, lantern; sys.stdout.write(lantern.__version__)",
  ];
}

export type ProbeResult =
  | { kind: "ok"; version: string }
  | { kind: "no-interpreter" }
  | { kind: "no-lantern" }
  | { kind: "failed"; detail: string };

/** What running `probeArgs` told us, from the child process's outcome. */
export function classifyProbe(outcome: {
  /** `error.code` from child_process: "ENOENT" when the command does not exist. */
  errorCode?: string | number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}): ProbeResult {
  if (outcome.errorCode === "ENOENT" || outcome.errorCode === "EACCES") {
    return { kind: "no-interpreter" };
  }
  if (outcome.exitCode === 0 && outcome.stdout.trim()) {
    return { kind: "ok", version: outcome.stdout.trim() };
  }
  if (/No module named '?lantern'?/.test(outcome.stderr)) {
    return { kind: "no-lantern" };
  }
  const detail = lastLine(outcome.stderr) || `exit code ${String(outcome.exitCode)}`;
  return { kind: "failed", detail };
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines[lines.length - 1]?.trim() ?? "";
}

/** The shell command that installs (or upgrades) Lantern for `interpreter`. */
export function installCommand(interpreter: Interpreter, platform: NodeJS.Platform): string {
  const words = [interpreter.command, ...interpreter.args, "-m", "pip", "install", INSTALL_SOURCE];
  const line = words.map((word) => shellQuote(word, platform)).join(" ");
  // PowerShell runs a quoted program path only through the call operator.
  return platform === "win32" && line.startsWith('"') ? `& ${line}` : line;
}

/** Quote one word for the user's terminal (POSIX shells, or PowerShell/cmd on Windows). */
export function shellQuote(word: string, platform: NodeJS.Platform): string {
  if (/^[\w@%+=:,./\\-]+$/.test(word)) {
    return word;
  }
  if (platform === "win32") {
    return `"${word.replace(/"/g, '`"')}"`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A one-line description of where the interpreter came from, for messages and status. */
export function describeInterpreter(interpreter: Interpreter): string {
  const shown = [interpreter.command, ...interpreter.args].join(" ");
  const origin = {
    setting: "from the lantern.interpreter setting",
    "python-extension": "the Python extension's active environment",
    default: "the default; set lantern.interpreter to choose another",
  }[interpreter.source];
  return `${shown} (${origin})`;
}
