/**
 * The chaincode's contracts on fabric-contract-api 2.5, without decorators: fabric-contract-api
 * makes every method on a contract's prototype whose name does not start with `_` a transaction
 * taking string arguments, so each method here parses its arguments (JSON or decimal), builds the
 * TxContext and calls the logic (gateway.ts, apps/). Results are canonical JSON strings. A failure
 * reaches the client as `<code>: <message>` (fabric-shim passes only the message on).
 *
 * Transaction time: a proposal's timestamp is its only clock (the same on every endorser); a
 * proposal more than 30 s from the peer's clock is refused (context.ts).
 *
 * Events: Fabric keeps one chaincode event per transaction, so all of a transaction's Pontis
 * events (packet/sent, packet/received, ...: the hub's own event types and attributes) travel in
 * one event named `PontisEvents` (events.ts).
 */
import { Context, Contract } from 'fabric-contract-api';
import type { Hex } from '../../hub-chain/crypto/bytes.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import { PontisError, parseSchema } from '../../hub-chain/errors.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { MAX_SHARED_PARTS, packetSchema, withShared } from '../../hub-chain/modules/packets/msgs.ts';
import { attestationsApp, issueAttestation, revokeAttestation } from './apps/attestations.ts';
import { getRecord, putRecord, recordsApp } from './apps/records.ts';
import { dataApp, sendAnswer, sendRequest } from '../../hub-chain/modules/data-sharing/spoke.ts';
import { type SpokeAnswerMsg, type SpokeRequestMsg, dataSpokeMsgSchemas } from '../../hub-chain/modules/data-sharing/types.ts';
import { type TxContext, checkClockSkew } from './context.ts';
import { CC_ERR, ChaincodeError } from './errors.ts';
import { encodeEvents, PONTIS_EVENT_NAME } from './events.ts';
import { PontisGateway } from './gateway.ts';
import { StubState } from './stub-state.ts';

/** One gateway per chaincode process: the keepers hold no state between transactions. */
export const gateway = new PontisGateway([recordsApp, attestationsApp, dataApp]);

/** The transaction context of an invoke (clock skew checked) or a read (`check: false`). */
function txContext(ctx: Context, check = true): TxContext {
  const txTimeMs = ctx.stub.getDateTimestamp().getTime();
  if (check) checkClockSkew(txTimeMs, Date.now());
  return { state: new StubState(ctx.stub), txTimeMs, txId: ctx.stub.getTxID(), caller: { mspId: ctx.clientIdentity.getMSPID(), id: ctx.clientIdentity.getID() }, events: [] };
}

/** Runs a transaction: publishes its events, answers canonical JSON, and puts the code first in a failure's message. */
async function transact<T>(ctx: Context, check: boolean, f: (tx: TxContext) => Promise<T>): Promise<string> {
  try {
    const tx = txContext(ctx, check);
    const value = await f(tx);
    if (tx.events.length > 0) ctx.stub.setEvent(PONTIS_EVENT_NAME, encodeEvents(tx.events));
    return canonicalJson(value ?? null);
  } catch (e) {
    if (e instanceof PontisError) throw new Error(`${e.code}: ${e.message}`, { cause: e });
    throw e;
  }
}

function json(arg: string, what: string): unknown {
  try {
    return JSON.parse(arg);
  } catch {
    throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${what} is not JSON`);
  }
}

function uint(arg: string, what: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(arg) || !Number.isSafeInteger(Number(arg))) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${what} must be a non-negative decimal integer`);
  return Number(arg);
}

function bool(arg: string, what: string): boolean {
  if (arg !== 'true' && arg !== 'false') throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${what} must be true or false`);
  return arg === 'true';
}

function list(arg: string, what: string, max = 5000): unknown[] {
  const v = json(arg, what);
  if (!Array.isArray(v) || v.length === 0 || v.length > max) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${what} must be a list of 1..${max} items`);
  return v;
}

function packets(arg: string): Packet[] {
  return list(arg, 'packets').map(
    (p, i) => parseSchema(packetSchema, p, ({ path, message }) => new ChaincodeError(CC_ERR.BAD_ARGUMENT, `packets[${i}]${path ? ` ${path}` : ''}: ${message}`)) as Packet,
  );
}

/**
 * The proofs of a batch call (one per packet; their shape is the hub client's to check): a JSON list of one proof per packet, or `{"shared": [...], "proofs":
 * [...]}` whose proofs may reference a shared part as a top-level field `{"$shared": i}` (a batch
 * proof's batch, ADR 0017), resolved to one object per part so its state proof is checked once per
 * call, not once per packet (msgs.ts `withShared`, as relay messages on the hub).
 */
function proofs(arg: string, n: number): unknown[] {
  const parsed = json(arg, 'proofs');
  let v: unknown[];
  if (Array.isArray(parsed)) v = parsed;
  else {
    const o = parsed as { shared?: unknown; proofs?: unknown };
    if (typeof o !== 'object' || o === null || Object.keys(o).length !== 2 || !Array.isArray(o.shared) || !Array.isArray(o.proofs) || o.shared.length < 1 || o.shared.length > MAX_SHARED_PARTS) {
      throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `proofs must be a JSON list, or {shared, proofs} with 1..${MAX_SHARED_PARTS} shared parts`);
    }
    const shared = o.shared;
    v = o.proofs.map((p) => withShared(p, shared));
  }
  if (v.length !== n) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${v.length} proofs for ${n} packets`);
  return v;
}

function hex(arg: string, what: string): Hex {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(arg)) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${what} must be 0x-hex`);
  return arg.toLowerCase() as Hex;
}

/** The Pontis gateway: hub client, packets in and out, endorsed reads. The default contract. */
export class PontisGatewayContract extends Contract {
  constructor() {
    super('PontisGateway');
  }

  /** Once, at deployment: this channel's chain id, the hub's, and the `pontis` client params and trusted initial state (JSON). */
  async initHubClient(ctx: Context, chainId: string, hubChainId: string, params: string, initial: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.initHubClient(tx, { chainId, hubChainId }, json(params, 'params'), json(initial, 'initial')));
  }

  /** A `pontis` client message (JSON): `{signedHeader, validators, nextValidators, trustedHeight}`, or misbehaviour `{a, b}`. */
  async updateClient(ctx: Context, update: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.updateClient(tx, json(update, 'update')));
  }

  /** A `msg` packet from the caller: `data` 0x-hex, timeout in unix ms. */
  async sendPacket(ctx: Context, dstChain: string, dstApp: string, data: string, timeoutTimestamp: string, ordered: string): Promise<string> {
    return transact(ctx, true, (tx) =>
      gateway.sendMessage(tx, { dstChain, dstApp, data: hex(data, 'data'), timeoutTimestamp: uint(timeoutTimestamp, 'timeoutTimestamp'), ordered: bool(ordered, 'ordered') }),
    );
  }

  /**
   * Many `msg` packets: a JSON list of {dstChain, dstApp, data, timeoutTimestamp, ordered} (at most
   * 1000). Answers their sequences in order (the packets themselves are in the transaction's event:
   * repeating them in the answer would make the block, which a proof to the hub carries, larger).
   */
  async sendPackets(ctx: Context, messageList: string): Promise<string> {
    return transact(ctx, true, async (tx) => {
      const ms = list(messageList, 'messages', 1000).map((m, i) => {
        const o = m as Record<string, unknown>;
        if (typeof o !== 'object' || o === null || typeof o.dstChain !== 'string' || typeof o.dstApp !== 'string' || typeof o.data !== 'string' || typeof o.ordered !== 'boolean') {
          throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `messages[${i}] is not {dstChain, dstApp, data, timeoutTimestamp, ordered}`);
        }
        return { dstChain: o.dstChain, dstApp: o.dstApp, data: hex(o.data, `messages[${i}].data`), timeoutTimestamp: uint(String(o.timeoutTimestamp), `messages[${i}].timeoutTimestamp`), ordered: o.ordered };
      });
      return (await gateway.sendMessages(tx, ms)).map((p) => p.sequence);
    });
  }

  async recvPackets(ctx: Context, proofHeight: string, packetList: string, proofList: string): Promise<string> {
    return transact(ctx, true, (tx) => {
      const ps = packets(packetList);
      const prs = proofs(proofList, ps.length);
      return gateway.recvPackets(tx, uint(proofHeight, 'proofHeight'), ps.map((packet, i) => ({ packet, proof: prs[i] })));
    });
  }

  async acknowledgePackets(ctx: Context, proofHeight: string, packetList: string, ackList: string, proofList: string): Promise<string> {
    return transact(ctx, true, (tx) => {
      const ps = packets(packetList);
      const acks = list(ackList, 'acks');
      if (acks.length !== ps.length) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `${acks.length} acks for ${ps.length} packets`);
      const prs = proofs(proofList, ps.length);
      return gateway.acknowledgePackets(tx, uint(proofHeight, 'proofHeight'), ps.map((packet, i) => ({ packet, ack: hex(String(acks[i]), `acks[${i}]`), proof: prs[i] })));
    });
  }

  /** Packets sent from here that the hub never received in time (hub absence proofs at proofHeight). */
  async timeoutPackets(ctx: Context, proofHeight: string, packetList: string, proofList: string): Promise<string> {
    return transact(ctx, true, (tx) => {
      const ps = packets(packetList);
      const prs = proofs(proofList, ps.length);
      return gateway.timeoutPackets(tx, uint(proofHeight, 'proofHeight'), ps.map((packet, i) => ({ packet, proof: prs[i] })));
    });
  }

  /** A packet addressed here and not received by its timeout: writes the TIMEOUT marker at its receipt key. */
  async timeoutPacket(ctx: Context, proofHeight: string, packet: string, proof: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.timeoutPacket(tx, uint(proofHeight, 'proofHeight'), packets(`[${packet}]`)[0], json(proof, 'proof')));
  }

  /** Values (0x-hex, null when absent) of Pontis keys: a JSON list of keys. For endorsed-query proofs. */
  async GetState(ctx: Context, keys: string): Promise<string> {
    return transact(ctx, false, (tx) => {
      const ks = list(keys, 'keys', 1000);
      if (!ks.every((k) => typeof k === 'string' && k.length > 0 && k.length <= 1024)) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'keys must be non-empty strings');
      return gateway.getState(tx.state, ks as string[]);
    });
  }

  /** The hub client's config, status and latest height. */
  async clientStatus(ctx: Context): Promise<string> {
    return transact(ctx, false, (tx) => gateway.clientStatus(tx));
  }
}

/** `records`: put/get by the owning org; requests from other chains come as packets. */
export class RecordsContract extends Contract {
  constructor() {
    super('records');
  }

  /** `allow`: JSON list of chain ids whose request packets may read the record. */
  async putRecord(ctx: Context, id: string, data: string, allow: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.run(tx, (env) => putRecord(env.store, tx.caller, tx.txTimeMs, { id, data: hex(data, 'data'), allow: json(allow, 'allow') as string[] }), [], { client: false }));
  }

  async getRecord(ctx: Context, id: string): Promise<string> {
    return transact(ctx, false, (tx) => gateway.run(tx, (env) => getRecord(env.store, tx.caller, id), [], { client: false }));
  }
}

/** `attestations`: the calling org issues and revokes; each sends a packet to a verifier app elsewhere. */
export class AttestationsContract extends Contract {
  constructor() {
    super('attestations');
  }

  /** `subject`: 32 bytes hex (e.g. the sha256 of the evidence); `kind` e.g. `judicial-evidence`; times in unix ms (timeout 0: an hour). */
  async issue(ctx: Context, kind: string, subject: string, expiresAtMs: string, dstChain: string, dstApp: string, timeoutTimestamp: string): Promise<string> {
    return transact(ctx, true, (tx) =>
      gateway.run(tx, (env) =>
        issueAttestation(env, gateway.packets, tx.caller, { kind, subject: hex(subject, 'subject'), expiresAtMs: uint(expiresAtMs, 'expiresAtMs') }, { dstChain, dstApp, timeoutTimestamp: uint(timeoutTimestamp, 'timeoutTimestamp') }),
        [],
        { client: false },
      ),
    );
  }

  async revoke(ctx: Context, subject: string, dstChain: string, dstApp: string, timeoutTimestamp: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.run(tx, (env) => revokeAttestation(env, gateway.packets, tx.caller, hex(subject, 'subject'), { dstChain, dstApp, timeoutTimestamp: uint(timeoutTimestamp, 'timeoutTimestamp') }), [], { client: false }));
  }
}

/**
 * `data`: government data sharing with this channel as a department chain (hub-chain's `data`
 * app, the same as on every Pontis spoke). `request` sends a data request packet; `answer` is the
 * department's agent answering one it received, with the hub records it rests on proven against
 * the chaincode's hub client. The hub's department record names the MSPs that act for it: the
 * caller's MSP must be one of them.
 */
export class DataContract extends Contract {
  constructor() {
    super('data');
  }

  /** `msg`: the `data/request` message (JSON) as a Pontis chain takes it. */
  async request(ctx: Context, msg: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.run(tx, (env) => sendRequest(env, gateway.packets, spokeMsg(msg, 'data/request') as SpokeRequestMsg), [], { client: false }));
  }

  /** `msg`: the `data/answer` message (JSON): sealed answer or refusal, and the hub records with their proofs. */
  async answer(ctx: Context, msg: string): Promise<string> {
    return transact(ctx, true, (tx) => gateway.run(tx, (env) => sendAnswer(env, gateway.packets, gateway.clients, spokeMsg(msg, 'data/answer') as SpokeAnswerMsg, (dept) => dept.msps.includes(tx.caller.mspId))));
  }
}

/** A data message checked by the schema every Pontis chain checks it with. */
function spokeMsg(arg: string, type: 'data/request' | 'data/answer'): unknown {
  const v = json(arg, 'msg') as { type?: unknown };
  const schema = dataSpokeMsgSchemas.find((z) => z.shape.type.value === type)!;
  return parseSchema(schema, { ...v, type }, ({ path, message }) => new ChaincodeError(CC_ERR.BAD_ARGUMENT, `msg${path ? ` ${path}` : ''}: ${message}`));
}

/** The contracts in the order fabric-contract-api takes them (the first is the default). */
export const contracts = [PontisGatewayContract, RecordsContract, AttestationsContract, DataContract];
