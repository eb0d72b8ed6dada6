import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import {
  CLIENT_ONLY_SETTINGS,
  InspectedValue,
  needsRestart,
  needsUpdate,
  SERVER_SETTINGS,
  toServerSettings,
} from "../src/settings";

/** An inspect() over a table of explicitly set values (global scope unless given). */
function inspector(values: Record<string, InspectedValue>) {
  return (key: string) => values[key];
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"));
const declared = Object.keys(manifest.contributes.configuration.properties).map((key: string) => key.replace(/^lantern\./, ""));

describe("toServerSettings", () => {
  test("nothing set by the user sends nothing, so project config files are not overridden", () => {
    assert.deepEqual(toServerSettings(inspector({})), {});
  });

  test("set values are nested into the server's camelCase structure", () => {
    const result = toServerSettings(
      inspector({
        "diagnostics.runOn": { globalValue: "save" },
        "rules.severity": { workspaceValue: { PY001: "error" } },
        "ai.providers": {
          globalValue: [{ name: "local", baseUrl: "http://localhost:11434/v1", model: "qwen", tasks: ["complete"] }],
        },
        "completion.debounceMs": { globalValue: 150 },
        logLevel: { globalValue: "debug" },
      }),
    );
    assert.deepEqual(result, {
      diagnostics: { runOn: "save" },
      rules: { severity: { PY001: "error" } },
      ai: { providers: [{ name: "local", baseUrl: "http://localhost:11434/v1", model: "qwen", tasks: ["complete"] }] },
      completion: { debounceMs: 150 },
      logLevel: "debug",
    });
  });

  test("the most specific scope wins", () => {
    const result = toServerSettings(
      inspector({ "diagnostics.enabled": { globalValue: true, workspaceValue: false, workspaceFolderValue: true } }),
    );
    assert.deepEqual(result, { diagnostics: { enabled: true } });
    const folderUnset = toServerSettings(inspector({ "diagnostics.enabled": { globalValue: true, workspaceValue: false } }));
    assert.deepEqual(folderUnset, { diagnostics: { enabled: false } });
  });

  test("an explicitly false or zero value is still sent", () => {
    const result = toServerSettings(inspector({ "ai.enabled": { globalValue: false }, "diagnostics.debounceMs": { globalValue: 0 } }));
    assert.deepEqual(result, { ai: { enabled: false }, diagnostics: { debounceMs: 0 } });
  });

  test("an empty cache directory means the server's default", () => {
    assert.deepEqual(toServerSettings(inspector({ "cache.dir": { globalValue: "  " } })), {});
    assert.deepEqual(toServerSettings(inspector({ "cache.dir": { globalValue: "/tmp/c" } })), { cache: { dir: "/tmp/c" } });
  });

  test("client-only settings never reach the server", () => {
    const result = toServerSettings(inspector({ interpreter: { globalValue: "/py" }, "trace.server": { globalValue: "verbose" } }));
    assert.deepEqual(result, {});
  });
});

describe("package.json settings", () => {
  test("every declared setting is either sent to the server or used by the client", () => {
    const known = new Set<string>([...SERVER_SETTINGS, ...CLIENT_ONLY_SETTINGS]);
    assert.deepEqual(declared.filter((key) => !known.has(key)), []);
    assert.deepEqual([...known].filter((key) => !declared.includes(key)), []);
  });

  test("only sections the server knows (or the issue names: completion) are sent", () => {
    const sections = new Set(SERVER_SETTINGS.map((key) => key.split(".")[0]));
    assert.deepEqual([...sections].sort(), ["ai", "cache", "completion", "diagnostics", "exclude", "logLevel", "rules"]);
  });

  test("provider entries accept exactly the server's provider fields", () => {
    const provider = manifest.contributes.configuration.properties["lantern.ai.providers"].items.properties;
    assert.deepEqual(Object.keys(provider).sort(), [
      "apiKeyEnv", "apiVersion", "baseUrl", "headers", "maxRetries", "model", "name",
      "requestsPerMinute", "tasks", "timeout", "tokensPerMinute",
    ]);
  });
});

describe("configuration changes", () => {
  const changed = (...sections: string[]) => (section: string) => sections.some((s) => s === section || s.startsWith(`${section}.`) || section.startsWith(`${s}.`));

  test("a new interpreter restarts the server", () => {
    assert.equal(needsRestart(changed("lantern.interpreter")), true);
    assert.equal(needsRestart(changed("lantern.rules.ignore")), false);
  });

  test("a server setting is forwarded; an unrelated one is not", () => {
    assert.equal(needsUpdate(changed("lantern.rules.ignore")), true);
    assert.equal(needsUpdate(changed("lantern.trace.server")), false);
    assert.equal(needsUpdate(changed("editor.fontSize")), false);
  });
});
