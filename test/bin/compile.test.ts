import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compiled, rewriteSpecifiers, sources } from '../../bin/compile.js';
import { sourceDir } from '../../hub-chain/source-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'pontis-compile-'));
const cache = join(root, 'node_modules', '.cache', 'pontis');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
}

/** Runs the compiled entry in a fresh node process (no TypeScript loader) and returns what it prints. */
function run(dir: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(dir, 'bin', 'main.js')).href)})`], { encoding: 'utf8' }).trim();
}

describe('bin/compile.js', () => {
  write('hub-chain/value.ts', 'export const value: number = 41;\nexport class Box { constructor(private readonly n: number) {} get(): number { return this.n + 1; } }\n');
  write('relayers/lazy.ts', "export const lazy = (): string => 'lazy';\n");
  write('bin/main.ts', "import { Box, value } from '../hub-chain/value.ts';\nimport type { Nothing } from './types.ts';\nconst { lazy } = await import('../relayers/lazy.ts');\nconsole.log(new Box(value).get(), lazy());\n");
  write('bin/types.ts', 'export interface Nothing { x: number }\n');
  write('bin/types.d.ts', 'export declare const ignored: number;\n');

  it('behavior: compiles every .ts source to an ES module that runs without a TypeScript loader, its relative imports pointing at .js', async () => {
    const dir = await compiled(root, cache);
    expect(run(dir)).toBe('42 lazy');
    expect(sources(root).files.sort()).toEqual(['bin/main.ts', 'bin/types.ts', 'hub-chain/value.ts', 'relayers/lazy.ts']);
    // nothing half-written is left beside the build
    expect(readdirSync(cache)).toEqual([dir.split('/').pop()]);
  });

  it('behavior: unchanged sources reuse the build; a changed file makes a new one that runs the change', async () => {
    const first = await compiled(root, cache);
    expect(await compiled(root, cache)).toBe(first);
    write('hub-chain/value.ts', 'export const value: number = 1;\nexport class Box { constructor(private readonly n: number) {} get(): number { return this.n * 10; } }\n');
    utimesSync(join(root, 'hub-chain/value.ts'), new Date(), new Date(Date.now() + 5000));
    const second = await compiled(root, cache);
    expect(second).not.toBe(first);
    expect(run(second)).toBe('10 lazy');
  });

  it('behavior: builds started at once agree on one build and leave no partial folder', async () => {
    write('relayers/lazy.ts', "export const lazy = (): string => 'raced';\n");
    const dirs = await Promise.all([compiled(root, cache), compiled(root, cache), compiled(root, cache)]);
    expect(new Set(dirs).size).toBe(1);
    expect(run(dirs[0])).toBe('10 raced');
    expect(readdirSync(cache).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('error: a source that does not compile fails the build and leaves no build behind', async () => {
    const before = readdirSync(cache).sort();
    write('relayers/broken.ts', 'export const = ;\n');
    await expect(compiled(root, cache)).rejects.toThrow(/broken\.ts/);
    expect(readdirSync(cache).sort()).toEqual(before);
    rmSync(join(root, 'relayers/broken.ts'));
  });

  it('behavior: only relative .ts specifiers of imports and exports are rewritten', () => {
    expect(rewriteSpecifiers('import { a } from "./a.ts";\nexport * from "../b/c.ts";\nimport "./side.ts";\nconst m = await import("./lazy.ts");')).toBe(
      'import { a } from "./a.js";\nexport * from "../b/c.js";\nimport "./side.js";\nconst m = await import("./lazy.js");',
    );
    const untouched = 'import x from "pkg.ts";\nimport y from "./data.json";\nconst s = "./not-an-import.ts";\nimport z from "./z.tsx";';
    expect(rewriteSpecifiers(untouched)).toBe(untouched);
  });

  it('behavior: sourceDir maps a module in a build back to its source folder', () => {
    expect(sourceDir('file:///p/node_modules/.cache/pontis/0123456789abcdef/contracts/evm/build.js')).toBe('/p/contracts/evm');
    expect(sourceDir('file:///p/contracts/evm/build.ts')).toBe('/p/contracts/evm');
    expect(sourceDir('file:///p/node_modules/.cache/pontis/not-a-stamp/x/y.js')).toBe('/p/node_modules/.cache/pontis/not-a-stamp/x');
  });
});

describe('bin/compile.js pruning', () => {
  it('behavior: the newest builds are kept beside the current one, older ones and stale partial folders are removed', async () => {
    const r = mkdtempSync(join(tmpdir(), 'pontis-prune-'));
    const c = join(r, 'cache');
    try {
      mkdirSync(join(r, 'bin'), { recursive: true });
      writeFileSync(join(r, 'bin', 'main.ts'), 'export const v = 0;\n');
      mkdirSync(c, { recursive: true });
      const old = Date.now() / 1000 - 7200;
      // six older builds and a partial folder left two hours ago by a killed build
      for (let i = 0; i < 6; i++) {
        const d = join(c, `00000000000000a${i}`);
        mkdirSync(d);
        utimesSync(d, old + i, old + i);
      }
      mkdirSync(join(c, '00000000000000ff.tmp-1-abc'));
      utimesSync(join(c, '00000000000000ff.tmp-1-abc'), old, old);
      const dir = await compiled(r, c);
      expect(readdirSync(c).sort()).toEqual(['00000000000000a2', '00000000000000a3', '00000000000000a4', '00000000000000a5', dir.split('/').pop()].sort());
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });
});
