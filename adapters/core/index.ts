export { AdapterError, AdapterErrorCode, isAdapterError, type AdapterErrorOptions } from './errors.ts';
export type { BlockRef, ChainEvent, ChainReader, ChainWriter, EventFilter, SubmitResult, SubmitStatus } from './types.ts';
export { FileCheckpointStore, MemoryCheckpointStore, type CheckpointStore, type Cursor } from './checkpoint.ts';
export { EventScanner, type EventScannerOptions, type ScanBatch } from './scanner.ts';
export { NonceManager } from './nonce.ts';
