// StrykerJS's mutants of JavaScript files, as JSON on stdout: what `harness/openclaw/jsmutants.py` samples.
//
//   node stryker.mjs TOOL_DIR FILE...
//
// TOOL_DIR is the cache entry holding the pinned @stryker-mutator/instrumenter (its node_modules). Stryker
// writes every mutant into one instrumented file behind switches; we take only its list of mutants (where,
// which mutator, the replacement code) and apply each one alone to a copy of the plugin, so a mutant run
// executes the plugin's own code with one change and nothing of Stryker's. Beside the mutants, each file's
// named ranges (functions, variables, object keys) and calls, so the caller can tell which function a
// mutant is in (to pick the features that reach it) and whether it only changes a log line.
// Offsets are JavaScript string indices (UTF-16 code units), as Babel counts them.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [toolDir, ...names] = process.argv.slice(2);
const require = createRequire(join(toolDir, "node_modules", "@stryker-mutator", "instrumenter", "package.json"));
const { Instrumenter } = await import(pathToFileURL(require.resolve("@stryker-mutator/instrumenter")).href);
const { parse } = await import(pathToFileURL(require.resolve("@babel/parser")).href);

const silent = () => false;
const logger = { isDebugEnabled: silent, isTraceEnabled: silent, isInfoEnabled: silent };
for (const level of ["trace", "debug", "info", "warn", "error", "fatal"]) logger[level] = () => {};

const files = names.map((name) => ({ name, content: readFileSync(name, "utf8"), mutate: true }));
const options = { plugins: null, excludedMutations: [], ignorers: [] };
const { mutants } = await new Instrumenter(logger).instrument(files, options);

function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

function keyName(key) {
  if (!key) return null;
  if (key.type === "Identifier") return key.name;
  if (key.type === "StringLiteral") return key.value;
  return null;
}

// Every node that names a range (function, variable, object key, class member), and every call with its callee.
function structure(text) {
  const ast = parse(text, { sourceType: "module" });
  const named = [];
  const calls = [];
  const visit = (node) => {
    if (!node || typeof node.type !== "string") return;
    let name = null;
    if (node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") name = node.id?.name;
    else if (node.type === "VariableDeclarator" && node.id.type === "Identifier") name = node.id.name;
    else if (["ObjectProperty", "ObjectMethod", "ClassMethod", "ClassProperty"].includes(node.type)) name = keyName(node.key);
    if (name) named.push([name, node.start, node.end]);
    if (node.type === "CallExpression" || node.type === "OptionalCallExpression")
      calls.push([text.slice(node.callee.start, node.callee.end), node.start, node.end]);
    for (const [field, value] of Object.entries(node)) {
      if (field === "loc" || field === "leadingComments" || field === "trailingComments") continue;
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === "object") visit(value);
    }
  };
  visit(ast.program);
  return { named, calls };
}

const out = { files: {}, mutants: [] };
const starts = {};
for (const { name, content } of files) {
  starts[name] = lineStarts(content);
  out.files[name] = structure(content);
}
for (const mutant of mutants) {
  const text = files.find((f) => f.name === mutant.fileName).content;
  const lines = starts[mutant.fileName];
  // Stryker's API counts lines from 0 and columns from 0
  const start = lines[mutant.location.start.line] + mutant.location.start.column;
  const end = lines[mutant.location.end.line] + mutant.location.end.column;
  out.mutants.push({
    file: mutant.fileName,
    mutator: mutant.mutatorName,
    start,
    end,
    original: text.slice(start, end),
    replacement: mutant.replacement,
  });
}
process.stdout.write(JSON.stringify(out));
