/**
 * Gas of PontisClient.updateClient for hub validator sets of 4, 7 and 21 (equal powers), with
 * every validator signing and with the smallest quorum signing, plus one state-proof check. It
 * starts its own anvil unless given one; `bench:evm` prints it. The Gateway's send and receive:
 * gateway-gas.ts.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../hub-chain/crypto/bytes.ts';
import { encodeProof } from '../../hub-chain/state/proof.ts';
import { ChainBuilder } from '../support/chain-builder.ts';
import { type Anvil, startAnvil } from './anvil.ts';
import { deployClient, recentGenesis, submit } from './client-fixture.ts';
import { updateClientArgs } from '../../contracts/evm/encode.ts';

const PROOF_DEPTH = 20;
const sha = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

export interface ClientGasFigure {
  validators: number;
  signers: number;
  /** gasUsed of the updateClient transaction (21000 intrinsic and calldata included). */
  gasUsed: number;
  calldataBytes: number;
}

export interface ClientGasReport {
  updates: ClientGasFigure[];
  /** eth_estimateGas of verifyMembership (a transaction's view: 21000 and calldata included) for a depth-20 proof. */
  proof: { depth: number; bytes: number; gas: number };
}

export async function measureClientGas(sizes: readonly number[] = [4, 7, 21], existing?: Anvil): Promise<ClientGasReport> {
  const anvil = existing ?? (await startAnvil());
  try {
    const updates: ClientGasFigure[] = [];
    for (const n of sizes) {
      const chain = new ChainBuilder({ chainId: 'pontis-hub-1', powers: Array.from({ length: n }, () => 10), genesisTime: recentGenesis(6), seed: `evm-gas-${n}` });
      const quorum = Math.floor((2 * n) / 3) + 1;
      chain.setSigners(3, chain.validatorsAt(1).slice(0, quorum)); // the set never changes here
      chain.extendTo(3);
      const client = await deployClient(anvil, chain, 1);
      for (const [height, signers] of [
        [2, n],
        [3, quorum],
      ] as const) {
        const sh = chain.signedHeader(height);
        const { gasUsed } = await submit(client, sh, chain.validatorSet(height));
        const data = client.interface.encodeFunctionData('updateClient', updateClientArgs(sh, chain.validatorSet(height)));
        updates.push({ validators: n, signers, gasUsed: Number(gasUsed), calldataBytes: (data.length - 2) / 2 });
      }
    }
    // A depth-20 membership proof with every sibling present (about 1M keys in an honest tree): the
    // root is folded here from arbitrary siblings, which costs the verifier exactly what a real one does.
    const key = new TextEncoder().encode('pkt/out/pontis-hub-1/transfer/evm-31337/bank/1');
    const value = new Uint8Array(32).fill(7);
    const siblings = Array.from({ length: PROOF_DEPTH }, (_, i) => toHex(sha(Uint8Array.of(i))));
    const keyHash = sha(key);
    let node = sha(Uint8Array.of(0), keyHash, sha(value));
    for (let i = PROOF_DEPTH - 1; i >= 0; i--) {
      const s = Buffer.from(siblings[i].slice(2), 'hex');
      node = (keyHash[i >> 3] & (0x80 >> (i & 7))) !== 0 ? sha(Uint8Array.of(1), s, node) : sha(Uint8Array.of(1), node, s);
    }
    const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(2), seed: 'evm-gas-proof' }).setStateRoot(1, toHex(node)).extendTo(1);
    const client = await deployClient(anvil, chain, 1);
    const proof = encodeProof({ siblings, leaf: { keyHash: toHex(keyHash), valueHash: toHex(sha(value)) } });
    const proofGas = await client.verifyMembership.estimateGas(1, key, value, proof);
    return { updates, proof: { depth: PROOF_DEPTH, bytes: proof.length, gas: Number(proofGas) } };
  } finally {
    if (!existing) await anvil.stop();
  }
}

/** A plain-text table of the report. */
export function formatClientGas(r: ClientGasReport): string {
  const rows = r.updates.map((u) => `updateClient  validators=${String(u.validators).padStart(2)}  signers=${String(u.signers).padStart(2)}  gas=${u.gasUsed}  calldata=${u.calldataBytes} B`);
  rows.push(`verifyMembership  depth=${r.proof.depth}  proof=${r.proof.bytes} B  gas=${r.proof.gas}`);
  return rows.join('\n');
}
