/** Names shared by the client's modules: languages, server commands, palette commands. */

/** The LSP languageIds Lantern analyses; the client attaches to files of these languages. */
export const LANGUAGE_IDS = [
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
  "go",
  "rust",
  "java",
] as const;

/** Commands the server may provide through `workspace/executeCommand`. */
export const SERVER_COMMANDS = {
  generate: "lantern.generate",
  explain: "lantern.explain",
  fix: "lantern.fix",
  fixAll: "lantern.fixAll",
  analyzeFile: "lantern.analyzeFile",
  analyzeWorkspace: "lantern.analyzeWorkspace",
  clearCache: "lantern.clearCache",
  status: "lantern.status",
  history: "lantern.history",
} as const;

export type ServerCommandKey = keyof typeof SERVER_COMMANDS;

/**
 * The first server release that is planned to provide each command. Used only to tell the
 * user what to upgrade to; whether a command is enabled is decided by what the running
 * server advertises, never by its version number.
 */
export const COMMAND_SINCE: Record<ServerCommandKey, string> = {
  generate: "0.2.0",
  explain: "0.2.0",
  fix: "0.2.0",
  fixAll: "0.2.0",
  analyzeFile: "0.2.0",
  analyzeWorkspace: "0.2.0",
  clearCache: "0.2.0",
  status: "0.2.0",
  history: "0.2.0",
};

/**
 * Palette command ids. They must differ from the server's command names: the language
 * client registers a VS Code command under each name the server advertises, and a second
 * registration under the same id would fail.
 */
export const PALETTE_COMMANDS: Record<ServerCommandKey, string> = {
  generate: "lantern.client.generate",
  explain: "lantern.client.explain",
  fix: "lantern.client.fix",
  fixAll: "lantern.client.fixAll",
  analyzeFile: "lantern.client.analyzeFile",
  analyzeWorkspace: "lantern.client.analyzeWorkspace",
  clearCache: "lantern.client.clearCache",
  status: "lantern.client.status",
  history: "lantern.client.history",
};

export const RESTART_COMMAND = "lantern.restart";
export const SHOW_OUTPUT_COMMAND = "lantern.client.showOutput";

/** The custom notification that drives the status bar item. */
export const STATUS_NOTIFICATION = "lantern/status";

/**
 * Where the server comes from: `lantern-lsp` is not on PyPI or any other index, so the
 * install command names a checkout of the repository (or a wheel built from it), which the
 * user fills in; the guide says how to get one.
 */
export const INSTALL_SOURCE = "/path/to/lantern";
export const INSTALL_GUIDE = "https://github.com/lantern-lsp/lantern/blob/main/docs/editors.md#1-install-the-server";
