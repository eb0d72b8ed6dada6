/** Loaded with `node --require` before the tests: `require("vscode")` returns the mock. */
import Module = require("node:module");
import * as mock from "./vscode-mock";

const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  return request === "vscode" ? mock : originalLoad.call(this, request, ...rest);
};
