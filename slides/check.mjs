// Checks the slide decks before they are built, because marp-cli itself converts a broken deck without complaint
// (a missing image becomes a broken picture, an unclosed code fence swallows the rest of the deck).
//
// Fails (exit code 1) when:
//   - a deck (NN-name.md) has no front matter with `marp: true`;
//   - a deck has an unclosed ``` code fence;
//   - an image in a deck is remote (http, https or protocol-relative): the decks must work offline;
//   - a local image or link, in a deck or in README.md / INSTRUCTOR.md, points to a file that does not exist.
//
// Usage: node check.mjs            (run from slides/, or anywhere: paths are resolved from this file)

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The decks: NN-name.md in slides/, in order. */
export function listDecks(dir = here) {
  return readdirSync(dir)
    .filter((name) => /^\d{2}-[a-z0-9-]+\.md$/.test(name))
    .sort();
}

/** Splits a Markdown text into lines outside code (fenced blocks and inline code blanked out), and reports unclosed fences. */
function proseLines(text) {
  const lines = text.split(/\r?\n/);
  const prose = [];
  let fence = null; // the opening fence (``` or ~~~, with its length) while inside a code block
  let fenceLine = 0;
  lines.forEach((line, i) => {
    const match = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && match) {
      fence = match[1];
      fenceLine = i + 1;
      prose.push('');
    } else if (fence !== null) {
      if (match && match[1][0] === fence[0] && match[1].length >= fence.length && line.trim() === match[1]) {
        fence = null;
      }
      prose.push('');
    } else {
      prose.push(line.replace(/`[^`]*`/g, ''));
    }
  });
  return { prose, unclosedFenceAt: fence === null ? 0 : fenceLine };
}

function frontMatter(text) {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  return match ? match[1] : null;
}

function isRemote(target) {
  return /^(https?:)?\/\//i.test(target);
}

function isOtherScheme(target) {
  return /^[a-z][a-z0-9+.-]*:/i.test(target); // mailto:, data:, vscode:, …
}

/** Every ![image](target) and [link](target) on the prose lines, with its line number. */
function references(prose) {
  const found = [];
  const pattern = /(!?)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  prose.forEach((line, i) => {
    for (const m of line.matchAll(pattern)) {
      found.push({ image: m[1] === '!', target: m[2], line: i + 1 });
    }
    // CSS url(...) in Marp directives, e.g. <!-- backgroundImage: url('images/x.svg') -->
    for (const m of line.matchAll(/url\(\s*['"]?([^'")\s]+)['"]?\s*\)/g)) {
      found.push({ image: true, target: m[1], line: i + 1 });
    }
  });
  return found;
}

function checkReferences(file, prose, problems) {
  for (const ref of references(prose)) {
    const where = `${relative(here, file)}:${ref.line}`;
    if (isRemote(ref.target)) {
      if (ref.image) {
        problems.push(`${where}: remote image ${ref.target} (commit it under slides/images/ instead)`);
      }
      continue;
    }
    if (isOtherScheme(ref.target) || ref.target.startsWith('#')) {
      continue;
    }
    const path = decodeURIComponent(ref.target.split('#')[0].split('?')[0]);
    if (path === '') {
      continue;
    }
    const target = resolve(dirname(file), path);
    if (!existsSync(target)) {
      problems.push(`${where}: ${ref.image ? 'image' : 'link'} ${ref.target} does not exist (${relative(here, target)})`);
    } else if (ref.image && statSync(target).isDirectory()) {
      problems.push(`${where}: image ${ref.target} is a folder`);
    }
  }
}

export function check(dir = here) {
  const problems = [];
  const decks = listDecks(dir);
  if (decks.length === 0) {
    problems.push('no deck found (expected files named NN-name.md)');
  }

  for (const name of decks) {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    const matter = frontMatter(text);
    if (matter === null) {
      problems.push(`${name}: no front matter; a deck starts with ---, marp: true, ---`);
    } else if (!/^marp:\s*true\s*$/m.test(matter)) {
      problems.push(`${name}: the front matter does not say marp: true`);
    }
    const { prose, unclosedFenceAt } = proseLines(text);
    if (unclosedFenceAt) {
      problems.push(`${name}:${unclosedFenceAt}: this code fence is never closed`);
    }
    checkReferences(file, prose, problems);
  }

  for (const name of ['README.md', 'INSTRUCTOR.md']) {
    const file = join(dir, name);
    if (!existsSync(file)) {
      continue;
    }
    const { prose, unclosedFenceAt } = proseLines(readFileSync(file, 'utf8'));
    if (unclosedFenceAt) {
      problems.push(`${name}:${unclosedFenceAt}: this code fence is never closed`);
    }
    checkReferences(file, prose, problems);
  }

  return { decks, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { decks, problems } = check();
  if (problems.length > 0) {
    console.error(`Slide check failed (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
    for (const problem of problems) {
      console.error(`  ${problem}`);
    }
    process.exit(1);
  }
  console.log(`Slide check passed: ${decks.length} decks (${decks.join(', ')}).`);
}
