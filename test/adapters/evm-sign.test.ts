/** The writer's own EIP-1559 signing against ethers' Wallet: the same raw bytes for every shape of transaction. */
import { Transaction, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { signEip1559, type Eip1559Fields } from '../../adapters/evm/sign.ts';

const KEYS = ['0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', '0x0000000000000000000000000000000000000000000000000000000000000001'];
const base: Eip1559Fields = { chainId: 31_337, nonce: 0, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 3_000_000_000n, gasLimit: 21_000n, to: '0x5FbDB2315678afecb367f032d93F642f64180aa3', value: 0n, data: '0x' };
const cases: [string, Partial<Eip1559Fields>][] = [
  ['a plain call', {}],
  ['a value transfer with a large nonce', { value: 10n ** 18n, nonce: 1_234_567 }],
  ['a contract creation', { to: null, data: '0x6080604052' }],
  ['zero fees and gas', { maxPriorityFeePerGas: 0n, maxFeePerGas: 0n, gasLimit: 0n }],
  ['a large calldata (a relay batch)', { data: '0x' + 'ab01'.repeat(70_000), gasLimit: 30_000_000n }],
  ['a one-byte calldata below 0x80', { data: '0x7f' }],
  ['another chain id', { chainId: 31_001 }],
];

describe('EIP-1559 signing', () => {
  for (const key of KEYS) {
    for (const [name, over] of cases) {
      it(`behavior: ${name} signs to the bytes ethers produces (key ${key.slice(-4)})`, async () => {
        const tx = { ...base, ...over };
        const ours = signEip1559(tx, Buffer.from(key.slice(2), 'hex'));
        const theirs = await new Wallet(key).signTransaction({ type: 2, ...tx });
        expect(ours.raw).toBe(theirs);
        const parsed = Transaction.from(ours.raw);
        expect(parsed.from).toBe(new Wallet(key).address);
        expect(ours.hash).toBe(parsed.hash);
      });
    }
  }
});
