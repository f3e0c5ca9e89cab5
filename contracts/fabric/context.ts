/**
 * What one chaincode transaction runs with, built from Fabric's transaction context by the
 * contracts (contracts.ts) and from plain values by tests: the state, the transaction's own
 * timestamp (the only clock results may depend on), its id and the calling identity.
 */
import { sha256 } from '../../hub-chain/crypto/hash.ts';
import { type Hex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import type { ModuleEnv, AppEvent } from '../../hub-chain/app/module.ts';
import type { Genesis } from '../../hub-chain/app/genesis.ts';
import type { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { CC_ERR, ChaincodeError } from './errors.ts';
import type { SnapshotStore, State } from './state.ts';

export interface Caller {
  /** MSP id of the submitting identity (ctx.clientIdentity.getMSPID()). */
  mspId: string;
  /** Its unique id within the MSP (ctx.clientIdentity.getID(): x509::subject::issuer). */
  id: string;
}

/**
 * Whether the caller is an admin of its org: Fabric's NodeOUs put `OU=admin` in the subject of
 * admin certificates (the MSP checks the certificate chains to the org's CA before the chaincode
 * runs). Only an admin may create the hub client.
 */
export function isAdmin(c: Caller): boolean {
  const subject = c.id.split('::')[1] ?? '';
  return /(^|[/,]\s*)OU=admin(\s*[/,]|$)/i.test(subject);
}

export interface TxContext {
  state: State;
  /** The proposal's timestamp in unix ms (stub.getTxTimestamp()), the same on every endorser. */
  txTimeMs: number;
  /** Fabric transaction id (64 hex characters). */
  txId: string;
  caller: Caller;
  /** Events of the transaction, published as one chaincode event (events.ts). */
  events: AppEvent[];
}

/** How far a proposal's timestamp may be from the endorsing peer's clock. */
export const MAX_CLOCK_SKEW_MS = 30_000;

/**
 * Refuses a proposal whose timestamp is more than 30 s from this peer's clock. The timestamp is
 * chosen by the client; without this bound it could receive a packet after its timeout, or time
 * one out early. The peer's clock decides only whether to endorse, never what the result is.
 */
export function checkClockSkew(txTimeMs: number, peerNowMs: number): void {
  if (Math.abs(txTimeMs - peerNowMs) > MAX_CLOCK_SKEW_MS) {
    throw new ChaincodeError(CC_ERR.CLOCK_SKEW, `proposal timestamp ${txTimeMs} is more than ${MAX_CLOCK_SKEW_MS} ms from the peer's clock`, { details: { txTimeMs, peerNowMs } });
  }
}

/**
 * The calling identity as a packet sender (`from` of a `msg` envelope): its address, the 32-byte
 * `sha256("<mspId>::<id>")`. Fixed-size like an account on every other chain kind; the identity
 * itself (~300 bytes of x509 subject and issuer) would ride, hex in hex, in every packet's
 * payload, event and proof.
 */
export const callerAddress = (c: Caller): Hex => toHex(sha256(utf8(`${c.mspId}::${c.id}`)));

/**
 * The ModuleEnv the hub's packet keeper runs in on Fabric. A spoke's keeper reads chainId, time,
 * txHash, sender, store, emit and genesis.params.hubChainId; it never reads the validator set (a
 * Fabric channel has none) and judges heights only through env.height, which chaincode cannot
 * know: it is 0, and height timeouts of packets addressed to Fabric are handled in gateway.ts.
 */
export function moduleEnv(tx: TxContext, chainId: string, hubChainId: string, store: SnapshotStore, events: AppEvent[]): ModuleEnv {
  return {
    chainId,
    height: 0,
    time: tx.txTimeMs,
    txHash: `0x${tx.txId}` as Hex,
    sender: callerAddress(tx.caller),
    validators: undefined as unknown as ValidatorSet,
    store,
    genesis: { params: { hubChainId } } as unknown as Genesis,
    emit: (type, attributes) => events.push({ type, attributes }),
    events,
  };
}
