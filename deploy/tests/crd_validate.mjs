// Validates prometheus-operator custom resources (ServiceMonitor, PrometheusRule) with the
// validators @kubernetes-models/prometheus-operator generates from the operator's CRD schemas.
//   node crd_validate.mjs MODELS_DIR DOCS.json
// MODELS_DIR is node_modules/@kubernetes-models/prometheus-operator (deploy/tools/install-tools.sh
// installs it under deploy/tools/node); DOCS.json is a JSON list of manifests.
// Prints one line per manifest and exits 1 when any is invalid or of an unknown kind.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modelsDir, docsPath] = process.argv.slice(2);
const docs = JSON.parse(readFileSync(docsPath, "utf8"));
let failed = 0;
for (const doc of docs) {
  const [group, version] = String(doc.apiVersion).split("/");
  const id = `${doc.kind}/${doc.metadata?.name}`;
  let Model;
  try {
    const mod = await import(pathToFileURL(join(modelsDir, group, version, `${doc.kind}.js`)).href);
    Model = mod[doc.kind];
  } catch (e) {
    console.log(`error ${id}: no model for ${doc.apiVersion} ${doc.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`ok ${id}`);
  } catch (e) {
    console.log(`error ${id}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
