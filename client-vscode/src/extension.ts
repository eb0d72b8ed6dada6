/** Extension entry point: wires the controller, the palette commands and the output channels. */
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { RESTART_COMMAND, SHOW_OUTPUT_COMMAND } from "./constants";
import { Controller, pythonExtensionApi } from "./controller";

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Lantern", { log: true });
  const trace = vscode.window.createOutputChannel("Lantern Trace", { log: true });
  controller = new Controller(output, trace, {
    extensionPath: context.extensionPath,
    storagePath: context.globalStorageUri.fsPath,
    version: String(context.extension.packageJSON.version ?? "0"),
  });
  context.subscriptions.push(
    output,
    trace,
    controller,
    ...registerCommands(controller),
    vscode.commands.registerCommand(RESTART_COMMAND, () => controller?.restart()),
    vscode.commands.registerCommand(SHOW_OUTPUT_COMMAND, () => output.show()),
  );
  const python = await pythonExtensionApi();
  if (python) {
    controller.watchPythonExtension(python);
  }
  await controller.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
