#!/usr/bin/env node
// Entry point of the `pontis` CLI: runs the sources compiled by bin/compile.js (compiling them
// first when they changed). PONTIS_TSX=1 loads the TypeScript sources through tsx instead.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

if (process.env.PONTIS_TSX === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
} else {
  const { compiled } = await import('./compile.js');
  await import(pathToFileURL(join(await compiled(), 'bin', 'cli.js')).href);
}
