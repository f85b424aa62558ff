#!/usr/bin/env node
// The day0 executable: runs the compiled CLI (npm ci / npm run build produce dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('day0: dist/ is missing; run `npm ci` (or `npm run build`) in the day0 checkout first\n');
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
