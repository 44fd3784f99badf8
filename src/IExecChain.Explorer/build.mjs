// Bundles the explorer into wwwroot/: one minified script and one stylesheet, named by the hash of
// their content (so the node can let browsers cache them for good), and index.html pointing at them.
// Run by IExecChain.Explorer.csproj when an input changed; `node build.mjs` by hand does the same.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(root, 'wwwroot');
const assets = path.join(out, 'assets');

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const result = await build({
  entryPoints: { app: path.join(root, 'app', 'main.js') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint);
if (outputs.length !== 1) throw new Error(`expected one entry output, got ${outputs.length}`);
const [scriptPath, script] = outputs[0];
const stylePath = script.cssBundle;
if (!stylePath) throw new Error('app/main.js must import app/style.css (no stylesheet was produced)');

const href = (file) => '/assets/' + path.basename(file);
const template = await readFile(path.join(root, 'index.html'), 'utf8');
for (const marker of ['{{script}}', '{{style}}']) {
  if (!template.includes(marker)) throw new Error(`index.html lacks the ${marker} marker`);
}
// No inline script: the policy forbids it, and index.html only names the bundle.
if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(template)) throw new Error('index.html must not hold an inline script');
const html = template.replace('{{script}}', href(scriptPath)).replace('{{style}}', href(stylePath));
await writeFile(path.join(out, 'index.html'), html);

const sizes = Object.entries(result.metafile.outputs).map(([file, o]) => `${path.basename(file)} ${o.bytes} B`);
console.log(`explorer: wwwroot/ ${sizes.join(', ')}`);
