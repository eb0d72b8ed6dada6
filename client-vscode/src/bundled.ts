/**
 * The server the extension carries: a platform-specific `.vsix` holds Lantern's wheel and its
 * dependencies' wheels in `server/wheels/`. On a machine where no interpreter has Lantern,
 * the extension installs them, offline, into a private virtual environment in its global
 * storage, with a Python 3.11+ it finds on PATH (or the one `lantern.interpreter` names).
 *
 * Pure logic, no `vscode` import: paths, candidate interpreters, the commands to run and how
 * to read their output, so every rule here is unit-tested. The controller runs the commands.
 */
import * as path from "node:path";
import type { Interpreter } from "./interpreter";

/** The oldest Python the server supports. */
export const MINIMUM_PYTHON: readonly [number, number] = [3, 11];

/** Where the wheels are inside the installed extension. */
export function wheelsDirectory(extensionPath: string): string {
  return path.join(extensionPath, "server", "wheels");
}

/** Whether `files` (a listing of the wheels folder) holds Lantern's own wheel. */
export function hasServerWheel(files: readonly string[]): boolean {
  return files.some((name) => /^lantern_lsp-[^-]+-.*\.whl$/.test(name));
}

/** Pythons to try, newest first; the plain names last (they may be older). */
export function pythonCandidates(platform: NodeJS.Platform): Interpreter[] {
  if (platform === "win32") {
    return [
      ...["3.13", "3.12", "3.11"].map((v) => ({ command: "py", args: [`-${v}`], source: "default" as const })),
      { command: "python", args: [], source: "default" },
    ];
  }
  return ["python3.13", "python3.12", "python3.11", "python3", "python"].map((command) => ({
    command,
    args: [],
    source: "default" as const,
  }));
}

/** Arguments that print `major.minor` of the interpreter. */
export function versionArgs(interpreter: Interpreter): string[] {
  return [...interpreter.args, "-c", "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"];
}

/** Whether a `major.minor` answer is a Python that can run the server. */
export function supportsServer(version: string): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(version.trim());
  if (!match) {
    return false;
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor >= MINIMUM_PYTHON[1]);
}

/** The private environment for one extension version (a new version gets a fresh one). */
export function environmentDirectory(storagePath: string, extensionVersion: string): string {
  return path.join(storagePath, `server-${extensionVersion}`);
}

/** The environment's Python. */
export function environmentPython(environment: string, platform: NodeJS.Platform): Interpreter {
  const command =
    platform === "win32"
      ? path.win32.join(environment, "Scripts", "python.exe")
      : path.posix.join(environment, "bin", "python");
  return { command, args: [], source: "default" };
}

/** Arguments that create the environment with `python`. */
export function createArgs(python: Interpreter, environment: string): string[] {
  return [...python.args, "-m", "venv", environment];
}

/** Arguments for the environment's Python that install the bundled server, offline. */
export function installArgs(wheels: string): string[] {
  return [
    "-m",
    "pip",
    "install",
    "--no-index",
    "--find-links",
    wheels,
    "--disable-pip-version-check",
    "--quiet",
    "lantern-lsp",
  ];
}

/** The message when no Python can run the bundled server. */
export function noPythonMessage(tried: readonly Interpreter[]): string {
  const names = tried.map((i) => [i.command, ...i.args].join(" ")).join(", ");
  return (
    `Lantern needs Python ${MINIMUM_PYTHON.join(".")} or newer to run the server it carries, ` +
    `and none was found (tried ${names}). Install Python ${MINIMUM_PYTHON.join(".")}+ ` +
    `(e.g. "sudo apt install python3 python3-venv"), or set lantern.interpreter to one.`
  );
}
