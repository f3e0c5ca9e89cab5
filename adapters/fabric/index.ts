export { type BlockHeader, type BlockTx, blockHashOf, blockTxs, headerOf, ordererSignaturesOf } from './block.ts';
export { chaincodeCodeOf, toFabricAdapterError } from './errors.ts';
export { type FabricCall, type FabricIdentity, FabricReader, type FabricReaderOptions } from './reader.ts';
export { type FabricCommitted, FabricWriter } from './writer.ts';
