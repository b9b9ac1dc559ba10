// Validates every manifest in k8s/*.yaml against the Kubernetes API schemas that kubernetes-models bundles, and
// lints k8s/Dockerfile with dockerfile-utils (the VS Code Docker extension's checker). Offline once installed
// (npm ci). Exit 0: all valid; 1: what is wrong is printed, file and document by document.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { validate as lintDockerfile } from 'dockerfile-utils';

const k8s = join(dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];
let checked = 0;

for (const file of readdirSync(k8s).filter((f) => f.endsWith('.yaml')).sort()) {
  const docs = parseAllDocuments(readFileSync(join(k8s, file), 'utf8'));
  for (const [i, doc] of docs.entries()) {
    const where = `${file} document ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${where}: not YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const manifest = doc.toJS();
    if (manifest === null) {
      continue;
    }
    const { apiVersion, kind } = manifest;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
    const path = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
    let Model;
    try {
      Model = (await import(path))[kind];
    } catch (e) {
      problems.push(`${where}: ${apiVersion} ${kind} is not a Kubernetes kind kubernetes-models knows`);
      continue;
    }
    try {
      new Model(manifest).validate();
      checked++;
      console.log(`valid: ${where}: ${kind} ${manifest.metadata?.name}`);
    } catch (e) {
      problems.push(`${where}: ${kind} ${manifest.metadata?.name}: ${e.message}`);
    }
  }
}

const dockerfile = readFileSync(join(k8s, 'Dockerfile'), 'utf8');
for (const d of lintDockerfile(dockerfile)) {
  problems.push(`Dockerfile line ${d.range.start.line + 1}: ${d.message}`);
}
console.log('linted: Dockerfile');

if (problems.length > 0 || checked === 0) {
  console.error(problems.length > 0 ? problems.join('\n') : 'no manifests found');
  process.exit(1);
}
