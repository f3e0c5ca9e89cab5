export { EvmReader, type EvmProof, type EvmReaderOptions, type RawBlockHeader } from './reader.ts';
export { EvmWriter, bumpFee, type EvmReceipt, type EvmTx, type EvmWriterOptions } from './writer.ts';
export { NonceManager } from './nonce.ts';
export { toAdapterError, type ErrorContext } from './errors.ts';
