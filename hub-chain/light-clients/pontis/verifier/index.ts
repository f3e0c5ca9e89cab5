/** The hub light-client verifier: what side-chains, relayers and the EVM contract mirror. */
export * from './errors.ts';
export * from './verifier.ts';
export * from './client.ts';
export * from './misbehaviour.ts';
export * from './proofs.ts';
