// The `pontis` processes (hub nodes and their RPC threads, relayers, the devnet, fabric-net) run the
// TypeScript sources compiled to JavaScript: esbuild, one output file per source file, into
// node_modules/.cache/pontis/<stamp>/, rebuilt when a source file changes (~0.7 s for all of them).
// Loading through a TypeScript loader instead (tsx's hooks answer every import from a thread of
// their own) cost a hub node ~1.7 s more CPU to start, and every worker thread paid it again.
// See docs/adr/0020-compiled-processes.md.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
/** The source folders a process may load code from (tests and benchmarks are not compiled). */
const SOURCES = ['hub-chain', 'relayers', 'adapters', 'contracts', 'devnet', 'bin'];
export const CACHE = join(ROOT, 'node_modules', '.cache', 'pontis');
/** Builds kept beside the newest one: a process started from an older build may still import lazily from it. */
const KEEP = 4;

/** The .ts sources and a stamp over their names, sizes and modification times (a changed file makes a new build). */
export function sources(root = ROOT) {
  const files = [];
  const h = createHash('sha256');
  h.update(`node ${process.versions.node.split('.')[0]}\n`);
  for (const top of SOURCES) {
    if (!existsSync(join(root, top))) continue;
    const names = readdirSync(join(root, top), { recursive: true }).map(String).sort();
    for (const name of names) {
      if (!name.endsWith('.ts') || name.endsWith('.d.ts') || name.includes('node_modules')) continue;
      const rel = join(top, name);
      const st = statSync(join(root, rel));
      files.push(rel);
      h.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
    }
  }
  return { files, stamp: h.digest('hex').slice(0, 16) };
}

/** Relative imports keep their `.ts` in the output; the compiled files are `.js`. */
const TS_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])(\.{1,2}\/[^"'\n]*?)\.ts\2/g;

export function rewriteSpecifiers(code) {
  return code.replace(TS_SPECIFIER, '$1$2$3.js$2');
}

/**
 * The folder of a current build of the sources under `root`, compiling them first when none is.
 * Safe to call from many processes at once: each builds into a folder of its own and renames it
 * into place; a process that loses the race uses the winner's build.
 */
export async function compiled(root = ROOT, cache = join(root, 'node_modules', '.cache', 'pontis')) {
  const { files, stamp } = sources(root);
  const dir = join(cache, stamp);
  // package.json is written last: its presence marks a complete build
  if (existsSync(join(dir, 'package.json'))) return dir;
  const { build } = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await build({ entryPoints: files.map((f) => join(root, f)), outdir: tmp, outbase: root, absWorkingDir: root, format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'silent' });
    for (const f of files) {
      const out = join(tmp, f.replace(/\.ts$/, '.js'));
      writeFileSync(out, rewriteSpecifiers(readFileSync(out, 'utf8')));
    }
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(join(dir, 'package.json'))) throw e;
      rmSync(tmp, { recursive: true, force: true }); // another process finished the same build first
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  prune(cache, dir);
  return dir;
}

/** Modification time of `path`, or undefined when another process removed it meanwhile (it prunes too). */
function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function prune(cache, keep) {
  const hourAgo = Date.now() - 3_600_000;
  const builds = [];
  for (const n of readdirSync(cache)) {
    const path = join(cache, n);
    const mtime = mtimeOf(path);
    if (mtime === undefined) continue;
    // a build folder left by a process killed while compiling
    if (n.includes('.tmp-') && mtime < hourAgo) rmSync(path, { recursive: true, force: true });
    else if (/^[0-9a-f]{16}$/.test(n) && path !== keep) builds.push({ path, mtime });
  }
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const b of builds.slice(KEEP)) rmSync(b.path, { recursive: true, force: true });
}
