/**
 * Owns the language client's life: resolve the interpreter, check Lantern is importable
 * there, start `python -m lantern serve` over stdio, feed it settings, restart it when the
 * interpreter changes, and keep the status bar and menu context keys in step.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State as ClientRunState,
  TransportKind,
} from "vscode-languageclient/node";
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
} from "./bundled";
import { availability, contextKeys, ServerInfo } from "./capabilities";
import { LanternServer } from "./commands";
import { INSTALL_GUIDE, LANGUAGE_IDS, SERVER_COMMANDS, ServerCommandKey, STATUS_NOTIFICATION } from "./constants";
import {
  classifyProbe,
  describeInterpreter,
  installCommand,
  Interpreter,
  probeArgs,
  ProbeResult,
  PythonExtensionApi,
  resolveInterpreter,
  serverArgs,
} from "./interpreter";
import { needsRestart, needsUpdate, toServerSettings } from "./settings";
import { parseStatus, presentStatus, StatusParams } from "./status";

const PROBE_TIMEOUT_MS = 20_000;

export class Controller implements LanternServer, vscode.Disposable {
  private client: LanguageClient | undefined;
  private interpreter: Interpreter | undefined;
  private probedVersion: string | undefined;
  private state = "stopped";
  private stateMessage = "";
  /** Serialises start/stop so a burst of setting changes restarts once at a time. */
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  /** Listeners on the current client, dropped with it. */
  private clientDisposables: vscode.Disposable[] = [];
  private readonly statusItem: vscode.StatusBarItem;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly trace: vscode.LogOutputChannel,
    /** Where the extension is installed and may keep its private server environment. */
    private readonly bundle?: BundleLocation,
  ) {
    this.statusItem = vscode.window.createStatusBarItem("lantern.status", vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = "Lantern";
    this.statusItem.command = "lantern.client.status";
    this.setState("stopped", "");
    this.statusItem.show();
    this.disposables.push(
      this.statusItem,
      vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChanged(event)),
    );
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  dispose(): void {
    [...this.clientDisposables, ...this.disposables].forEach((item) => item.dispose());
  }

  /** Restart when the Python extension switches environment and no interpreter is pinned. */
  watchPythonExtension(api: PythonExtensionApi & { environments?: { onDidChangeActiveEnvironmentPath?: vscode.Event<unknown> } }): void {
    const event = api.environments?.onDidChangeActiveEnvironmentPath;
    if (event) {
      this.disposables.push(
        event(() => {
          if (this.interpreter?.source !== "setting") {
            void this.restart();
          }
        }),
      );
    }
  }

  // -- LanternServer ------------------------------------------------------------------

  info(): ServerInfo | undefined {
    const client = this.client;
    if (!client || client.state !== ClientRunState.Running) {
      return undefined;
    }
    const result = client.initializeResult;
    return {
      version: result?.serverInfo?.version ?? this.probedVersion,
      commands: result?.capabilities.executeCommandProvider?.commands ?? [],
    };
  }

  async execute(command: string, args: unknown[], token: vscode.CancellationToken): Promise<unknown> {
    if (!this.client) {
      throw new Error("the server is not running");
    }
    return this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token);
  }

  toLspDiagnostic(diagnostic: vscode.Diagnostic) {
    if (!this.client) {
      throw new Error("the server is not running");
    }
    return this.client.code2ProtocolConverter.asDiagnostic(diagnostic);
  }

  async toWorkspaceEdit(edit: Parameters<LanguageClient["protocol2CodeConverter"]["asWorkspaceEdit"]>[0]) {
    if (!this.client) {
      throw new Error("the server is not running");
    }
    return (await this.client.protocol2CodeConverter.asWorkspaceEdit(edit)) ?? new vscode.WorkspaceEdit();
  }

  describe(): string {
    const server = this.info();
    const lines = [
      "# Lantern status",
      "",
      `- **State:** ${this.state}${this.stateMessage ? ` — ${this.stateMessage}` : ""}`,
      `- **Interpreter:** ${this.interpreter ? describeInterpreter(this.interpreter) : "not resolved yet"}`,
      `- **Server version:** ${server?.version ?? this.probedVersion ?? "unknown"}`,
      "",
      "| command | available |",
      "| --- | --- |",
    ];
    for (const key of Object.keys(SERVER_COMMANDS) as ServerCommandKey[]) {
      const state = availability(key, server);
      lines.push(`| \`${SERVER_COMMANDS[key]}\` | ${state.available ? "yes" : `no: ${state.reason}`} |`);
    }
    return lines.join("\n");
  }

  // -- lifecycle ----------------------------------------------------------------------

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.lifecycle = this.lifecycle.then(step, step);
    return this.lifecycle;
  }

  private async doStart(): Promise<void> {
    this.setState("starting", "");
    let interpreter = await resolveInterpreter({
      setting: vscode.workspace.getConfiguration("lantern").get<string>("interpreter"),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      home: os.homedir(),
      platform: process.platform,
      pythonApi: await pythonExtensionApi(),
      resource: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    this.interpreter = interpreter;
    this.output.info(`Interpreter: ${describeInterpreter(interpreter)}`);

    let probe = await probeInterpreter(interpreter);
    if (probe.kind === "no-lantern" || probe.kind === "no-interpreter") {
      // Lantern is not installed there: run the server this .vsix carries, if it carries one.
      const bundled = await this.bundledServer(interpreter);
      if (bundled === "no-python") {
        this.setState("stopped", "no Python 3.11+");
        return;
      }
      if (bundled) {
        interpreter = bundled;
        this.interpreter = bundled;
        this.output.info(`Interpreter: the private environment ${bundled.command}`);
        probe = await probeInterpreter(bundled);
      }
    }
    if (probe.kind !== "ok") {
      this.setState("stopped", "not started");
      void this.reportProbeFailure(interpreter, probe);
      return;
    }
    this.probedVersion = probe.version;

    const client = new LanguageClient("lantern", "Lantern", serverOptions(interpreter), this.clientOptions());
    // The client restarts a crashed server by itself: follow it, so the status bar and the
    // menus reflect the server that is actually running.
    this.clientDisposables.push(
      client.onDidChangeState((event) => {
        if (event.newState === ClientRunState.Stopped) {
          this.setState("stopped", "");
        } else if (event.newState === ClientRunState.Running) {
          this.setState("idle", "");
        }
        void this.updateContextKeys();
      }),
      client.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => {
        const status = parseStatus(params);
        this.setState(status.state, status.message);
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.setState("stopped", "failed to start");
      this.output.error(`The server failed to start: ${String(error)}`);
      void vscode.window
        .showErrorMessage(`Lantern: the server failed to start (${describeInterpreter(interpreter)}).`, "Show Log")
        .then((choice) => choice && this.output.show());
      return;
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientDisposables.forEach((item) => item.dispose());
    this.clientDisposables = [];
    if (client) {
      try {
        await client.stop(5_000);
      } catch (error) {
        this.output.warn(`Stopping the server: ${String(error)}`);
      }
    }
    this.setState("stopped", "");
    await this.updateContextKeys();
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: LANGUAGE_IDS.flatMap((language) => [
        { scheme: "file", language },
        { scheme: "untitled", language },
      ]),
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      initializationOptions: serverSettingsFor(undefined),
      middleware: {
        workspace: {
          // Answer the `lantern` section with the mapped settings; pass others through.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers;
            }
            return params.items.map((item, index) =>
              item.section === "lantern" ? serverSettingsFor(item.scopeUri) : answers[index],
            );
          },
        },
      },
    };
  }

  private onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    const affects = (section: string) => event.affectsConfiguration(section);
    if (needsRestart(affects)) {
      this.output.info("The interpreter setting changed: restarting the server.");
      void this.restart();
      return;
    }
    if (needsUpdate(affects) && this.client?.state === ClientRunState.Running) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { lantern: serverSettingsFor(undefined) },
      });
    }
  }

  /**
   * The Python of the private environment holding the bundled server, installing it
   * (offline, from the wheels in the .vsix) on first use; undefined when this build carries
   * no server or the install failed (logged), "no-python" when no Python 3.11+ was found.
   */
  private async bundledServer(given: Interpreter): Promise<Interpreter | "no-python" | undefined> {
    if (!this.bundle) {
      return undefined;
    }
    const wheels = wheelsDirectory(this.bundle.extensionPath);
    const files = await fs.promises.readdir(wheels).catch(() => [] as string[]);
    if (!hasServerWheel(files)) {
      return undefined;
    }
    const environment = environmentDirectory(this.bundle.storagePath, this.bundle.version);
    const python = environmentPython(environment, process.platform);
    if ((await probeInterpreter(python)).kind === "ok") {
      return python;
    }
    const candidates = [given, ...pythonCandidates(process.platform)];
    let base: Interpreter | undefined;
    for (const candidate of candidates) {
      const answer = await run(candidate.command, versionArgs(candidate), 20_000);
      if (answer.ok && supportsServer(answer.stdout)) {
        base = candidate;
        break;
      }
    }
    if (!base) {
      const message = noPythonMessage(candidates);
      this.output.error(message);
      void vscode.window.showErrorMessage(message, "Choose Interpreter").then(async (choice) => {
        if (choice === "Choose Interpreter") {
          await vscode.commands.executeCommand("workbench.action.openSettings", "lantern.interpreter");
        }
      });
      return "no-python";
    }
    const chosen = base;
    const installed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Lantern: installing its server (offline, once)…" },
      async () => {
        await fs.promises.rm(environment, { recursive: true, force: true });
        await fs.promises.mkdir(this.bundle!.storagePath, { recursive: true });
        const created = await run(chosen.command, createArgs(chosen, environment), 120_000);
        const done = created.ok ? await run(python.command, installArgs(wheels), 300_000) : created;
        if (!done.ok) {
          this.output.error(`Installing the bundled server with ${chosen.command} failed: ${done.stderr}`);
        }
        return done.ok;
      },
    );
    return installed ? python : undefined;
  }

  private async reportProbeFailure(interpreter: Interpreter, probe: Exclude<ProbeResult, { kind: "ok" }>): Promise<void> {
    const where = describeInterpreter(interpreter);
    const install = installCommand(interpreter, process.platform);
    const actions: string[] = [];
    let message: string;
    if (probe.kind === "no-interpreter") {
      message = `Lantern: no Python interpreter at ${where}. Set lantern.interpreter to a Python that has Lantern installed.`;
    } else if (probe.kind === "no-lantern") {
      message =
        `Lantern is not installed for ${where}. It is not on PyPI: install it from a checkout ` +
        `of its repository with ${install} (the path is your checkout's folder).`;
      actions.push("Copy Command", "Open Install Guide");
    } else {
      message = `Lantern could not be loaded from ${where}: ${probe.detail}`;
      actions.push("Open Install Guide");
    }
    this.output.error(message);
    actions.push("Choose Interpreter");
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === "Open Install Guide") {
      await vscode.env.openExternal(vscode.Uri.parse(INSTALL_GUIDE));
    } else if (choice === "Copy Command") {
      await vscode.env.clipboard.writeText(install);
    } else if (choice === "Choose Interpreter") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "lantern.interpreter");
    }
  }

  private setState(state: string, message: string): void {
    this.state = state;
    this.stateMessage = message;
    const view = presentStatus(state, message);
    this.statusItem.text = view.text;
    this.statusItem.tooltip = `${view.tooltip}\nClick for details.`;
    this.statusItem.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
  }

  private async updateContextKeys(): Promise<void> {
    for (const [key, value] of Object.entries(contextKeys(this.info()))) {
      await vscode.commands.executeCommand("setContext", key, value);
    }
  }
}

function serverOptions(interpreter: Interpreter): ServerOptions {
  return {
    command: interpreter.command,
    args: serverArgs(interpreter),
    transport: TransportKind.stdio,
    options: { env: { ...process.env, PYTHONUNBUFFERED: "1" } },
  };
}

function serverSettingsFor(scopeUri: string | undefined): Record<string, unknown> {
  const scope = scopeUri ? vscode.Uri.parse(scopeUri) : undefined;
  const configuration = vscode.workspace.getConfiguration("lantern", scope);
  return toServerSettings((key) => configuration.inspect(key));
}

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined;
  }
}

/** Where the installed extension lives and may keep files (from its ExtensionContext). */
export interface BundleLocation {
  extensionPath: string;
  storagePath: string;
  version: string;
}

/** Run a command to completion; never rejects. */
function run(command: string, args: string[], timeout: number): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout, windowsHide: true }, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr || error?.message || "") });
    });
  });
}

function probeInterpreter(interpreter: Interpreter): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(
      interpreter.command,
      probeArgs(interpreter),
      { timeout: PROBE_TIMEOUT_MS, windowsHide: true },
      (error, stdout, stderr) => {
        const code = error as (NodeJS.ErrnoException & { code?: string | number }) | null;
        resolve(
          classifyProbe({
            errorCode: typeof code?.code === "string" ? code.code : undefined,
            exitCode: error ? (typeof code?.code === "number" ? code.code : 1) : 0,
            stdout: String(stdout),
            stderr: String(stderr),
          }),
        );
      },
    );
  });
}

export { pythonExtensionApi };
