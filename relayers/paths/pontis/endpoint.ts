/**
 * What a relayer needs from one Pontis chain (the hub or a side-chain). Reads are separate from
 * the write (`submit`), so a read-only endpoint can watch a chain it cannot sign for. Nothing an
 * endpoint returns is trusted: the receiving chain checks every header, commit and proof.
 */
import { type Bytes, type Hex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import type { AppEvent, TxResult } from '../../../hub-chain/app/app.ts';
import type { Msg } from '../../../hub-chain/app/tx.ts';
import type { SignedHeader } from '../../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { type StateProof, encodeProof } from '../../../hub-chain/state/proof.ts';
import { type Packet, channelId, packetKeys, receiptBitSet } from '../../../hub-chain/modules/packets/types.ts';
import type { ValidatorSet } from '../../../hub-chain/types/validator-set.ts';

export interface BlockEvents {
  height: number;
  txs: { hash: string; code: string; events: AppEvent[] }[];
}

export interface PontisReader {
  readonly chainId: string;
  latestHeight(): Promise<number>;
  signedHeader(height: number): Promise<SignedHeader>;
  /** The set that signs `height` (known up to latest + 1). */
  validatorSet(height: number): Promise<ValidatorSet>;
  /** A value (or its absence) with a proof against the state root of `height`. */
  proveState(key: Bytes, height: number): Promise<{ value: Bytes | undefined; proof: StateProof }>;
  readState(key: Bytes): Promise<Bytes | undefined>;
  /** Many keys at the latest height at once (one round trip where the endpoint can); see `readStates`. */
  readStates?(keys: Bytes[]): Promise<(Bytes | undefined)[]>;
  /** `proveState` of many keys at one height (one round trip per few hundred keys where the endpoint can); see `proveStates`. */
  proveStates?(keys: Bytes[], height: number): Promise<{ value: Bytes | undefined; proof: StateProof }[]>;
  blockEvents(height: number): Promise<BlockEvents>;
}

export interface PontisWriter extends PontisReader {
  /** Signs and submits one transaction; resolves when it is committed. */
  submit(msgs: Msg[]): Promise<TxResult & { height: number }>;
}

/** Many keys at `r`'s latest height: batched where the endpoint can, one by one otherwise. */
export function readStates(r: PontisReader, keys: Bytes[]): Promise<(Bytes | undefined)[]> {
  if (!keys.length) return Promise.resolve([]);
  return r.readStates ? r.readStates(keys) : Promise.all(keys.map((k) => r.readState(k)));
}

/** Values (or absence) of many keys with their proofs at `height`: batched where the endpoint can, one by one otherwise. */
export function proveStates(r: PontisReader, keys: Bytes[], height: number): Promise<{ value: Bytes | undefined; proof: StateProof }[]> {
  if (!keys.length) return Promise.resolve([]);
  return r.proveStates ? r.proveStates(keys, height) : Promise.all(keys.map((k) => r.proveState(k, height)));
}

/** `proveStates` with each proof in its binary encoding (`encodeProof`), as the EVM Gateway and the Fabric chaincode take it. */
export async function encodedProofs(r: PontisReader, keys: Bytes[], height: number): Promise<{ present: boolean; proof: Hex }[]> {
  return (await proveStates(r, keys, height)).map(({ value, proof }) => ({ present: value !== undefined, proof: toHex(encodeProof(proof)) }));
}

/** The distinct receipt words `packets` need, and each packet's index among them. */
function receiptWords(packets: readonly Packet[]): { keys: Bytes[]; of: number[] } {
  const at = new Map<string, number>();
  const keys: Bytes[] = [];
  const of = packets.map((p) => {
    const k = packetKeys.receiptBits(channelId(p), p.sequence);
    const id = Buffer.from(k).toString('latin1');
    let i = at.get(id);
    if (i === undefined) {
      at.set(id, (i = keys.length));
      keys.push(k);
    }
    return i;
  });
  return { keys, of };
}

/** Whether each packet was received on Pontis chain `r` at its latest height: its receipt bit (ADR 0017), one read per receipt word. */
export async function receivedOn(r: PontisReader, packets: readonly Packet[]): Promise<boolean[]> {
  const { keys, of } = receiptWords(packets);
  const words = await readStates(r, keys);
  return packets.map((p, i) => receiptBitSet(words[of[i]], p.sequence));
}

/**
 * For each packet, whether Pontis chain `r` had received it at `height`, and if not, the proof of
 * that a `pontis` client takes for the absence of `pkt/rcpt/<ch>/<seq>`: the receipt word (null
 * when absent) and its state proof. One proof per receipt word.
 */
export async function receiptAbsence(r: PontisReader, packets: readonly Packet[], height: number): Promise<({ received: true } | { received: false; word: Hex | null; proof: StateProof })[]> {
  const { keys, of } = receiptWords(packets);
  const proven = await proveStates(r, keys, height);
  return packets.map((p, i) => {
    const { value, proof } = proven[of[i]];
    if (receiptBitSet(value, p.sequence)) return { received: true };
    return { received: false, word: value === undefined ? null : toHex(value), proof };
  });
}
