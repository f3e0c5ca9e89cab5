// Entry of the RPC worker thread: loads the TypeScript sources through tsx (a worker thread does
// not inherit the loader of the thread that started it, in `pontis node start` or under vitest).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
