/** Types of bin/compile.js (plain JavaScript: it runs before any TypeScript loader exists). */
export const ROOT: string;
export const CACHE: string;
export function sources(root?: string): { files: string[]; stamp: string };
export function rewriteSpecifiers(code: string): string;
export function compiled(root?: string, cache?: string): Promise<string>;
