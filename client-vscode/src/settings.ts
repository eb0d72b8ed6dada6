/**
 * VS Code settings -> the server's `lantern` configuration section.
 *
 * Only values the user actually set (in any scope) are sent. The server merges its own
 * layers (user config file, pyproject.toml, lantern.toml) below `workspace/configuration`,
 * so sending VS Code's defaults would silently override a project's `[tool.lantern]`.
 */

/** Settings that configure the client itself and are never sent to the server. */
export const CLIENT_ONLY_SETTINGS = ["interpreter", "trace.server"] as const;

/** Settings whose change needs a new server process rather than a configuration update. */
export const RESTART_SETTINGS = ["interpreter"] as const;

/**
 * Every server setting the client offers, as its dotted VS Code key under `lantern.`.
 * The server path is the same key split on dots (VS Code and the server both use camelCase).
 */
export const SERVER_SETTINGS = [
  "logLevel",
  "diagnostics.enabled",
  "diagnostics.runOn",
  "diagnostics.debounceMs",
  "diagnostics.maxFileSize",
  "rules.select",
  "rules.ignore",
  "rules.severity",
  "exclude",
  "ai.enabled",
  "ai.providers",
  "ai.routing",
  "ai.exclude",
  "ai.deadlineSeconds",
  "ai.maxPromptTokens",
  "ai.maxAnswerTokens",
  "ai.breakerFailures",
  "ai.breakerCooldownSeconds",
  "ai.openaiEnvModel",
  "completion.enabled",
  "completion.debounceMs",
  "cache.enabled",
  "cache.dir",
  "cache.maxSizeMb",
  "cache.ttlSeconds",
  "cache.memoryEntries",
] as const;

/** What `WorkspaceConfiguration.inspect(key)` returns, reduced to what matters here. */
export interface InspectedValue {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  globalLanguageValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

export type Inspect = (key: string) => InspectedValue | undefined;

/** The user's explicit value for `key`, most specific scope first; undefined if unset. */
export function explicitValue(inspected: InspectedValue | undefined): unknown {
  if (!inspected) {
    return undefined;
  }
  const scopes = [
    inspected.workspaceFolderLanguageValue,
    inspected.workspaceLanguageValue,
    inspected.globalLanguageValue,
    inspected.workspaceFolderValue,
    inspected.workspaceValue,
    inspected.globalValue,
  ];
  return scopes.find((value) => value !== undefined);
}

/** Build the nested object the server reads from the `lantern` section. */
export function toServerSettings(inspect: Inspect): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = normalise(key, explicitValue(inspect(key)));
    if (value !== undefined) {
      setPath(result, key.split("."), value);
    }
  }
  return result;
}

function normalise(key: string, value: unknown): unknown {
  // An empty string means "not set" for path settings: the server picks its default.
  if (key === "cache.dir" && typeof value === "string" && value.trim() === "") {
    return undefined;
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Whether a configuration change needs the server restarted (a new interpreter). */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SETTINGS.some((key) => affects(`lantern.${key}`));
}

/** Whether a configuration change must be forwarded to the running server. */
export function needsUpdate(affects: (section: string) => boolean): boolean {
  return SERVER_SETTINGS.some((key) => affects(`lantern.${key}`));
}
