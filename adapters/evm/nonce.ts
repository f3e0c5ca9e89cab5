/** The nonce allocator is shared by the nonce-based adapters (EVM, Substrate): it lives in core. */
export { NonceManager } from '../core/nonce.ts';
