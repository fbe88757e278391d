// Copies the browser builds of npm packages the front end uses into
// web/assets/vendor, where the shop embeds and serves them. Run by
// `npm ci` (postinstall); the copies are not committed.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'web', 'assets', 'vendor');
mkdirSync(out, { recursive: true });

const files = [
  ['socket.io-client/dist/socket.io.esm.min.js', 'socket.io.esm.min.js'],
  ['socket.io-client/dist/socket.io.esm.min.js.map', 'socket.io.esm.min.js.map'],
];
for (const [from, to] of files) {
  copyFileSync(join(root, 'node_modules', from), join(out, to));
}
