// Parses AsyncAPI documents with the real AsyncAPI parser (@asyncapi/parser, its default rules).
//   node asyncapi_validate.mjs NODE_DIR DOC.json [DOC.json ...]
// NODE_DIR is the folder @asyncapi/parser is installed under (deploy/tools/install-tools.sh puts it
// in deploy/tools/node). For each document prints one JSON line to stdout:
//   {"file", "asyncapi", "errors": [...], "warnings": [...], "operations": [{"id", "action",
//    "channel", "messages": [{"name", "payload": {"type", "properties", "data"}, "key": TYPE}]}]}
// where payload is null when the message has none (or an empty one) and key is the Kafka key's type. Exits 1 when any document has a
// parser error (diagnostic severity 0) or a message without a payload.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";

const [nodeDir, ...files] = process.argv.slice(2);
if (!nodeDir || files.length === 0) {
  console.error("usage: node asyncapi_validate.mjs NODE_DIR DOC.json [DOC.json ...]");
  process.exit(2);
}
const require = createRequire(join(resolve(nodeDir), "package.json"));
const { Parser, fromFile } = require("@asyncapi/parser");
const parser = new Parser();

// A payload as the test reads it: its properties and its `data` schema's title; null when it is
// missing, empty or not an object schema (FastStream's generator wrote such hollow payloads).
function summary(schema) {
  if (!schema || typeof schema !== "object" || Object.keys(schema.properties ?? {}).length === 0) return null;
  return { type: schema.type ?? null, properties: Object.keys(schema.properties), data: schema.properties.data?.title ?? null };
}
const where = (d) => `${(d.path || []).join("/") || "/"}: ${d.code}: ${d.message}`;
let failed = 0;
for (const file of files) {
  const { document, diagnostics } = await fromFile(parser, file).parse();
  const errors = diagnostics.filter((d) => d.severity === 0).map(where);
  const warnings = diagnostics.filter((d) => d.severity === 1).map(where);
  const operations = [];
  if (document) {
    for (const op of document.operations().all()) {
      const channel = op.channels().all()[0];
      const messages = op.messages().all().map((m) => ({
        name: m.name() ?? m.id(),
        payload: m.hasPayload() ? summary(m.payload().json()) : null,
        key: m.bindings().get("kafka")?.value()?.key?.type ?? null,
      }));
      for (const m of messages) {
        if (!m.payload) errors.push(`operation ${op.id()}: message ${m.name} has no payload`);
      }
      if (messages.length === 0) errors.push(`operation ${op.id()}: no message`);
      operations.push({ id: op.id(), action: op.action(), channel: channel?.address() ?? null, messages });
    }
  } else if (errors.length === 0) {
    errors.push("the parser returned no document");
  }
  if (errors.length) {
    failed++;
    for (const e of errors) console.error(`${file}: error ${e}`);
  }
  console.log(JSON.stringify({ file, asyncapi: document?.version() ?? null, errors, warnings, operations }));
}
process.exitCode = failed ? 1 : 0;  // not process.exit(): that cuts the output short when stdout is a pipe
