// Prints the gzip size of every built chunk and of what each screen loads
// (its entry, the lazy chunks it imports and everything they import, CSS
// included), and fails when a screen is over its budget:
//   POS (staff app + POS) < 250 KB, kitchen display < 250 KB, QR menu < 120 KB.
//
// Usage: npm run build && npm run size
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const manifest = JSON.parse(readFileSync(dist + '.vite/manifest.json', 'utf8'));

/**
 * gzip bytes of a built file.
 * @param {string} file
 */
function gz(file) {
  return gzipSync(readFileSync(dist + file), { level: 9 }).length;
}

/**
 * The manifest key of the chunk built from a source path ending with suffix.
 * @param {string} suffix
 */
function chunkOf(suffix) {
  const key = Object.keys(manifest).find((k) => k.endsWith(suffix));
  if (!key) throw new Error(`no chunk for ${suffix} in the manifest`);
  return key;
}

/**
 * Files a chunk loads before it runs: itself, its CSS and its static imports, transitively.
 * @param {string[]} keys
 * @returns {Set<string>}
 */
function closure(keys) {
  /** @type {Set<string>} */
  const files = new Set();
  /** @type {Set<string>} */
  const seen = new Set();
  /** @param {string} key */
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const c = manifest[key];
    files.add(c.file);
    for (const css of c.css ?? []) files.add(css);
    for (const imp of c.imports ?? []) visit(imp);
  };
  keys.forEach(visit);
  return files;
}

/** @param {number} n */
const kb = (n) => (n / 1024).toFixed(1).padStart(7) + ' KB';
const entry = chunkOf('index.html');
const screens = [
  { name: 'POS (staff app + POS)', chunks: [entry, chunkOf('StaffApp.svelte'), chunkOf('PosSection.svelte')], budget: 250 },
  { name: 'Kitchen display', chunks: [entry, chunkOf('StaffApp.svelte'), chunkOf('KdsSection.svelte')], budget: 250 },
  { name: 'QR menu (customer)', chunks: [entry, chunkOf('CustomerApp.svelte')], budget: 120 },
];

console.log('chunk sizes (gzip -9):');
const files = new Set(Object.values(manifest).flatMap((c) => [c.file, ...(c.css ?? [])]));
for (const f of [...files].sort()) console.log(`  ${kb(gz(f))}  ${f}`);

let over = false;
console.log('\nwhat each screen loads (gzip -9, JS + CSS + index.html):');
const page = gzipSync(readFileSync(dist + 'index.html'), { level: 9 }).length;
for (const s of screens) {
  const total = page + [...closure(s.chunks)].reduce((n, f) => n + gz(f), 0);
  const ok = total <= s.budget * 1024;
  over ||= !ok;
  console.log(`  ${kb(total)}  ${s.name} (budget ${s.budget} KB) ${ok ? 'ok' : 'OVER BUDGET'}`);
}
process.exit(over ? 1 : 0);
