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

const common = {
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
};

// The wallet (signing, keystores, result checks: most of the client module's weight) is a bundle of
// its own, which the app imports only when a page needs it, so the dashboard fetches one script.
// A second build rather than esbuild's code splitting: splitting would move the modules both use
// (dom.js …) into a shared chunk the dashboard would then fetch too.
const walletBuild = await build({ ...common, entryPoints: { wallet: path.join(root, 'app', 'wallet', 'index.js') } });
const walletOutputs = Object.entries(walletBuild.metafile.outputs).filter(([, o]) => o.entryPoint);
if (walletOutputs.length !== 1 || walletOutputs[0][1].cssBundle) throw new Error('app/wallet/index.js must bundle into one script and no stylesheet (its styles are in app/style.css)');
const walletPath = walletOutputs[0][0];

const result = await build({ ...common, entryPoints: { app: path.join(root, 'app', 'main.js') } });

const outputs = Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint);
if (outputs.length !== 1) throw new Error(`expected one entry output, got ${outputs.length}`);
const [scriptPath, script] = outputs[0];
const stylePath = script.cssBundle;
if (!stylePath) throw new Error('app/main.js must import app/style.css (no stylesheet was produced)');

const href = (file) => '/assets/' + path.basename(file);
const template = await readFile(path.join(root, 'index.html'), 'utf8');
for (const marker of ['{{script}}', '{{style}}', '{{wallet}}']) {
  if (!template.includes(marker)) throw new Error(`index.html lacks the ${marker} marker`);
}
// No inline script: the policy forbids it, and index.html only names the bundle.
if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(template)) throw new Error('index.html must not hold an inline script');
const html = template.replace('{{script}}', href(scriptPath)).replace('{{style}}', href(stylePath)).replace('{{wallet}}', href(walletPath));
await writeFile(path.join(out, 'index.html'), html);

const sizes = [...Object.entries(result.metafile.outputs), ...walletOutputs].map(([file, o]) => `${path.basename(file)} ${o.bytes} B`);
console.log(`explorer: wwwroot/ ${sizes.join(', ')}`);
