/**
 * Which palette commands the running server supports, decided by what it advertises in
 * `executeCommandProvider.commands` (so an older or newer server works), and the message
 * a user sees when one is missing.
 */
import { COMMAND_SINCE, SERVER_COMMANDS, ServerCommandKey } from "./constants";

/** What we know about the running server after `initialize`. */
export interface ServerInfo {
  /** `serverInfo.version`, or the version the interpreter probe printed. */
  version?: string;
  /** `capabilities.executeCommandProvider.commands`. */
  commands: readonly string[];
}

export type Availability = { available: true } | { available: false; reason: string };

export function availability(key: ServerCommandKey, server: ServerInfo | undefined): Availability {
  const name = SERVER_COMMANDS[key];
  if (!server) {
    return { available: false, reason: "The Lantern server is not running. Run “Lantern: Restart Server”." };
  }
  if (server.commands.includes(name)) {
    return { available: true };
  }
  const since = COMMAND_SINCE[key];
  const running = server.version ? `the running server is ${server.version}` : "the running server's version is unknown";
  if (server.version && compareVersions(server.version, since) >= 0) {
    // New enough, yet not advertised: the server turned it off (e.g. AI disabled).
    return {
      available: false,
      reason: `The Lantern server (${server.version}) does not offer ${name} right now; check its log (“Lantern: Show Server Log”) and your lantern.ai settings.`,
    };
  }
  return {
    available: false,
    reason: `${name} needs Lantern server ${since} or newer (${running}). Update your Lantern checkout and reinstall it (“pip install /path/to/lantern”) in the interpreter Lantern uses.`,
  };
}

/** The context keys (`lantern.server.<key>`) that show or hide menu entries. */
export function contextKeys(server: ServerInfo | undefined): Record<string, boolean> {
  const keys: Record<string, boolean> = {};
  for (const key of Object.keys(SERVER_COMMANDS) as ServerCommandKey[]) {
    keys[`lantern.server.${key}`] = availability(key, server).available;
  }
  return keys;
}

/** Compare dotted numeric versions ("0.10.1" > "0.9"); pre-release suffixes are ignored. */
export function compareVersions(left: string, right: string): number {
  const parse = (version: string) =>
    version.split(/[.+-]/).map((part) => Number.parseInt(part, 10)).filter((n) => !Number.isNaN(n));
  const a = parse(left);
  const b = parse(right);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) {
      return Math.sign(difference);
    }
  }
  return 0;
}
