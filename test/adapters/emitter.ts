/**
 * A tiny contract written directly in EVM bytecode (no compiler): called with data, it emits
 * `Note(uint256)` with the call data as the log data; called with no data, it reverts with
 * `Nope(7)`. Enough to test event scanning and revert decoding on a real node.
 */
import { id, Interface } from 'ethers';
import type { EvmWriter } from '../../adapters/evm/writer.ts';

export const EMITTER_ABI = ['event Note(uint256 seq)', 'error Nope(uint256 code)'];
export const emitterInterface = new Interface(EMITTER_ABI);

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
const word = (h: string) => Array.from(Buffer.from(h.replace(/^0x/, '').padEnd(64, '0'), 'hex'));

const OP = { STOP: 0x00, MSTORE: 0x52, JUMPI: 0x57, JUMPDEST: 0x5b, PUSH1: 0x60, PUSH32: 0x7f, ISZERO: 0x15, CALLDATASIZE: 0x36, CALLDATACOPY: 0x37, CODECOPY: 0x39, LOG1: 0xa1, RETURN: 0xf3, REVERT: 0xfd };

function runtime(): number[] {
  const topic = word(id('Note(uint256)'));
  const selector = word(id('Nope(uint256)').slice(0, 10));
  const emit = [
    OP.CALLDATASIZE, OP.PUSH1, 0, OP.PUSH1, 0, OP.CALLDATACOPY, // memory[0..size] = calldata
    OP.PUSH32, ...topic, OP.CALLDATASIZE, OP.PUSH1, 0, OP.LOG1, // log1(0, size, topic)
    OP.STOP,
  ];
  const revert = [
    OP.JUMPDEST,
    OP.PUSH32, ...selector, OP.PUSH1, 0, OP.MSTORE, // selector in bytes 0..3
    OP.PUSH1, 7, OP.PUSH1, 4, OP.MSTORE, // uint256 7 in bytes 4..35
    OP.PUSH1, 36, OP.PUSH1, 0, OP.REVERT,
  ];
  const head = [OP.CALLDATASIZE, OP.ISZERO, OP.PUSH1, 0 /* patched */, OP.JUMPI];
  head[3] = head.length + emit.length;
  return [...head, ...emit, ...revert];
}

export function emitterInitCode(): string {
  const code = runtime();
  const prefix = [OP.PUSH1, code.length, OP.PUSH1, 12, OP.PUSH1, 0, OP.CODECOPY, OP.PUSH1, code.length, OP.PUSH1, 0, OP.RETURN];
  return `0x${hex(prefix)}${hex(code)}`;
}

export async function deployEmitter(writer: EvmWriter): Promise<string> {
  const r = await writer.send({ data: emitterInitCode() });
  if (!r.contractAddress) throw new Error('emitter deployment returned no contract address');
  return r.contractAddress;
}

/** Call data that makes the emitter log Note(seq). */
export const noteCall = (seq: number | bigint) => `0x${BigInt(seq).toString(16).padStart(64, '0')}`;
