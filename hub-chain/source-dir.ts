import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A compiled build's place (bin/compile.js): node_modules/.cache/pontis/<stamp>/ mirrors the project's folders. */
const BUILD = /[/\\]node_modules[/\\]\.cache[/\\]pontis[/\\][0-9a-f]{16}(?=[/\\])/;

/**
 * The source folder of the module at `url` (its import.meta.url), also when it runs compiled from
 * the build cache: for files that sit beside the sources (Solidity, the CLI entry), which the
 * build does not copy.
 */
export function sourceDir(url: string): string {
  return dirname(fileURLToPath(url)).replace(BUILD, '');
}
