import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  analyzeFileArguments,
  explainArguments,
  fixArguments,
  GENERATE_KINDS,
  generateArguments,
  interpretEditResult,
  toMarkdown,
} from "../src/protocol";

const uri = "file:///work/app/main.py";
const range = { start: { line: 3, character: 4 }, end: { line: 5, character: 0 } };

describe("command arguments", () => {
  test("generate sends uri, position, prompt and kind, in that order", () => {
    assert.deepEqual(generateArguments(uri, { line: 7, character: 2 }, "totals per month", "function"), [
      uri,
      { line: 7, character: 2 },
      "totals per month",
      "function",
    ]);
  });

  test("positions and ranges are sent as plain LSP JSON, whatever object they came from", () => {
    class Pos {
      constructor(public line: number, public character: number) {}
      extra() {}
    }
    const [, position] = generateArguments(uri, new Pos(1, 2), "x", "code");
    assert.equal(JSON.stringify(position), '{"line":1,"character":2}');
    assert.deepEqual(explainArguments(uri, range), [uri, range]);
  });

  test("fix sends the diagnostic when there is one, else the range", () => {
    const diagnostic = { range, message: "compare to None with `is`", source: "lantern", code: "PY001" };
    assert.deepEqual(fixArguments(uri, { diagnostic, range }), [uri, diagnostic]);
    assert.deepEqual(fixArguments(uri, { range }), [uri, range]);
  });

  test("analyse file sends the uri", () => {
    assert.deepEqual(analyzeFileArguments(uri), [uri]);
  });

  test("the generate kinds are distinct and include creating files", () => {
    const kinds = GENERATE_KINDS.map((item) => item.kind);
    assert.equal(new Set(kinds).size, kinds.length);
    assert.ok(kinds.includes("files") && kinds.includes("code"));
  });
});

describe("interpretEditResult", () => {
  test("nothing back means the server applied the edit itself", () => {
    for (const result of [null, undefined, true, { applied: true }]) {
      assert.deepEqual(interpretEditResult(result), { kind: "applied" });
    }
  });

  test("a WorkspaceEdit, bare or under `edit`, is applied", () => {
    const edit = { changes: { [uri]: [{ range, newText: "x" }] } };
    assert.deepEqual(interpretEditResult(edit), { kind: "edit", edit });
    const documentChanges = { documentChanges: [] };
    assert.deepEqual(interpretEditResult({ edit: documentChanges, summary: "ok" }), { kind: "edit", edit: documentChanges });
  });

  test("text is inserted at the cursor", () => {
    assert.deepEqual(interpretEditResult("def f():\n    pass\n"), { kind: "insert", text: "def f():\n    pass\n" });
    assert.deepEqual(interpretEditResult({ code: "x = 1\n" }), { kind: "insert", text: "x = 1\n" });
  });

  test("files are created; malformed entries are skipped", () => {
    const result = interpretEditResult({ files: [{ uri: "file:///a.py", text: "a" }, { uri: 3 }, null] });
    assert.deepEqual(result, { kind: "files", files: [{ uri: "file:///a.py", text: "a" }] });
  });

  test("a server's error is a sentence for the user, not JSON", () => {
    const said = "Lantern AI: the model's rewrite does not parse, so it was dropped.";
    assert.deepEqual(interpretEditResult({ summary: said, error: said }), { kind: "error", message: said });
    assert.deepEqual(interpretEditResult({ applied: false, summary: "the file changed" }), {
      kind: "error",
      message: "the file changed",
    });
  });

  test("anything else is shown, not silently dropped", () => {
    const result = interpretEditResult({ reason: "the model answered with prose" });
    assert.equal(result.kind, "message");
    assert.match(result.kind === "message" ? result.markdown : "", /the model answered with prose/);
  });
});

describe("toMarkdown", () => {
  test("markdown strings and MarkupContent are shown as they are", () => {
    assert.equal(toMarkdown("# Why"), "# Why");
    assert.equal(toMarkdown({ kind: "markdown", value: "**bold**" }), "**bold**");
  });
  test("an error is said in words", () => {
    assert.equal(toMarkdown({ summary: "x", error: "no model is set up" }), "**Lantern could not do this:** no model is set up");
  });
  test("other JSON is shown as a code block", () => {
    assert.equal(toMarkdown({ hits: 3 }), '```json\n{\n  "hits": 3\n}\n```');
  });
});
