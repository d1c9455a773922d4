// Builds every deck (NN-name.md) to html/NN-name.html with marp-cli, copies images/ next to them,
// and writes html/index.html with a link to each deck. Fails when a deck fails to convert.
// Run `node check.mjs` first (npm run build does both).

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marpCli } from '@marp-team/marp-cli';
import { listDecks } from './check.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'html');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const decks = listDecks(here);
const built = [];
for (const deck of decks) {
  const target = join(out, deck.replace(/\.md$/, '.html'));
  const exitCode = await marpCli(['--no-config-file', '--html=false', join(here, deck), '--output', target]);
  if (exitCode !== 0 || !existsSync(target)) {
    console.error(`marp-cli could not convert ${deck} (exit code ${exitCode}).`);
    process.exit(1);
  }
  const title = /^#\s+(.+)$/m.exec(readFileSync(join(here, deck), 'utf8'))?.[1] ?? deck;
  built.push({ file: deck.replace(/\.md$/, '.html'), title });
}

if (existsSync(join(here, 'images'))) {
  cpSync(join(here, 'images'), join(out, 'images'), { recursive: true });
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>.NET memory-leak katas: slides</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.6">
<h1>.NET memory-leak katas: slides</h1>
<ol start="0">
${built.map((d) => `  <li><a href="${d.file}">${escape(d.title.replace(/[*_`]/g, ''))}</a></li>`).join('\n')}
</ol>
</body>
</html>
`,
);

console.log(`Built ${built.length} decks into html/.`);
