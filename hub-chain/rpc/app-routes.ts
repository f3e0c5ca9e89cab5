/**
 * RPC routes for the packet apps' state a user reads: the `msg` app's inbox and outcomes, bank
 * balances, escrow and supply, the hub's transfer accounting per route, and attestations. Plain
 * reads of one committed version; each answer names the state key(s) it read, so a client can
 * prove the same value with `/state?keyText=...&prove=true` against a verified header
 * (docs/spec/state-keys.md). A record that does not exist answers 404 with its module's code;
 * a malformed chain id, address, denom or number answers 400 before anything is read.
 */
import type { FastifyInstance } from 'fastify';
import { type Bytes, type Hex, utf8 } from '../crypto/bytes.ts';
import type { ChainReader } from '../node/chain-reader.ts';
import { PontisError } from '../errors.ts';
import { readAttestation, attestationKey, attestationStatus } from '../modules/attest/app.ts';
import { attestKeys, readHubAttestation } from '../modules/attest/issuers.ts';
import { msgKeys, readInbox, readOutcome } from '../modules/packets/msg-app.ts';
import { channelId, packetKeys } from '../modules/packets/types.ts';
import { bankKeys, balanceOf, escrowAccount, supplyOf } from '../modules/transfer/bank.ts';
import { onwardOf, outstandingOf, policyKeys, rateLimitOf } from '../modules/transfer/policy.ts';
import type { AttestationAnswer, Balances, MsgInboxList, MsgInboxEntry, MsgOutcome, Supply, TransferRoute } from './wire.ts';
import type { StateSnapshot } from './views.ts';
import { RpcError } from './errors.ts';
import { optionalIntParam, parseIntParam } from './params.ts';

const NUMBER = { type: 'string', maxLength: 32 } as const;
const CHAIN_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
const ADDRESS = { type: 'string', pattern: '^0x[0-9a-f]{40}$' } as const;
/** As the bank's DENOM_RE (modules/transfer/msgs.ts); a voucher denom holds '/', so denoms go in the query string. */
const DENOM = { type: 'string', pattern: '^[a-z][a-z0-9/._-]{1,127}$' } as const;
const SUBJECT = { type: 'string', pattern: '^0x([0-9a-f]{2}){1,64}$' } as const;
/** An issuer as its chain names it: an MSP id (Fabric), a 0x address (EVM). */
const ISSUER = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } as const;
const query = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false }) as const;
const params = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties) }) as const;

const MAX_LIST = 1000;
const DEFAULT_LIST = 100;
/** Entries a list route scans at most (bounds the work one request can ask for). */
const MAX_SCAN = 100_000;
/** The msg app sends and receives on channels whose apps are both `msg`. */
const MSG_APP = 'msg';

const text = (b: Bytes): string => Buffer.from(b).toString('utf8');
const msgNotFound = (what: string, details: Record<string, unknown>) => new PontisError('PNT_ERR_MSG_NOT_FOUND', `no ${what} recorded here`, { details });

export function appRoutes(app: FastifyInstance, chain: ChainReader): void {
  const latest = (): StateSnapshot => {
    const ws = chain.state.working();
    return { height: ws.baseVersion, get: (k) => ws.get(k), entries: (p) => ws.entries(p) };
  };
  const hubChainId = chain.genesis.params.hubChainId as string | undefined;

  // ---- the msg app ----

  app.get<{ Params: { srcChain: string; sequence: string } }>('/apps/msg/inbox/:srcChain/:sequence', { schema: { params: params({ srcChain: CHAIN_ID, sequence: NUMBER }) } }, async (req): Promise<MsgInboxEntry> => {
    const { srcChain } = req.params;
    const sequence = parseIntParam(req.params.sequence, 'sequence', { min: 1 });
    const s = latest();
    const m = readInbox(s, srcChain, sequence);
    if (!m) throw msgNotFound(`message ${sequence} from ${srcChain}`, { srcChain, sequence });
    return { height: s.height, srcChain, sequence, key: text(msgKeys.inbox(srcChain, sequence)), message: m };
  });

  app.get<{ Params: { srcChain: string }; Querystring: { from?: string; limit?: string } }>(
    '/apps/msg/inbox/:srcChain',
    { schema: { params: params({ srcChain: CHAIN_ID }), querystring: query({ from: NUMBER, limit: NUMBER }) } },
    async (req): Promise<MsgInboxList> => {
      const { srcChain } = req.params;
      const from = optionalIntParam(req.query.from, 'from', { min: 1 }, 1);
      const limit = optionalIntParam(req.query.limit, 'limit', { min: 1, max: MAX_LIST }, DEFAULT_LIST);
      const s = latest();
      const prefix = `app/msg/inbox/${srcChain}/`;
      const messages: MsgInboxList['messages'] = [];
      let truncated = false;
      let scanned = 0;
      // sequences are padded to 16 digits in the key, so the scan runs in sequence order
      for (const [k, v] of s.entries(utf8(prefix))) {
        const sequence = Number(text(k).slice(prefix.length));
        if (sequence < from) {
          if (++scanned > MAX_SCAN) {
            truncated = true;
            break;
          }
          continue;
        }
        if (messages.length >= limit) {
          truncated = true;
          break;
        }
        messages.push({ sequence, ...(JSON.parse(text(v)) as MsgInboxEntry['message']) });
      }
      return { height: s.height, srcChain, messages, truncated };
    },
  );

  app.get<{ Params: { dstChain: string; sequence: string } }>('/apps/msg/outcome/:dstChain/:sequence', { schema: { params: params({ dstChain: CHAIN_ID, sequence: NUMBER }) } }, async (req): Promise<MsgOutcome> => {
    const { dstChain } = req.params;
    const sequence = parseIntParam(req.params.sequence, 'sequence', { min: 1 });
    const s = latest();
    const key = text(msgKeys.outcome(dstChain, sequence));
    const o = readOutcome(s, dstChain, sequence);
    if (o !== undefined) {
      const [outcome, ...code] = o.split(':');
      return { height: s.height, dstChain, sequence, key, outcome: outcome as MsgOutcome['outcome'], ...(code.length ? { code: code.join(':') } : {}) };
    }
    // sent from here and not yet acknowledged or timed out: its commitment is still outstanding
    const ch = channelId({ srcChain: chain.chainId, srcApp: MSG_APP, dstChain, dstApp: MSG_APP });
    if (s.get(packetKeys.outbound(ch, sequence)) !== undefined) return { height: s.height, dstChain, sequence, key, outcome: 'pending' };
    throw msgNotFound(`message ${sequence} sent to ${dstChain}`, { dstChain, sequence });
  });

  // ---- bank ----

  const balancesOf = (s: StateSnapshot, holder: string, denom: string | undefined): Balances => {
    if (denom !== undefined) return { height: s.height, holder, balances: [{ denom, amount: balanceOf(s, holder, denom).toString(), key: text(bankKeys.balance(holder, denom)) }] };
    const prefix = `bank/bal/${holder}/`;
    const balances: Balances['balances'] = [];
    let truncated = false;
    for (const [k, v] of s.entries(utf8(prefix))) {
      if (balances.length >= MAX_LIST) {
        truncated = true;
        break;
      }
      balances.push({ denom: text(k).slice(prefix.length), amount: text(v), key: text(k) });
    }
    return { height: s.height, holder, balances, ...(truncated ? { truncated } : {}) };
  };

  app.get<{ Params: { address: string }; Querystring: { denom?: string } }>('/bank/balances/:address', { schema: { params: params({ address: ADDRESS }), querystring: query({ denom: DENOM }) } }, async (req) =>
    balancesOf(latest(), req.params.address, req.query.denom),
  );
  app.get<{ Params: { chainId: string }; Querystring: { denom?: string } }>('/bank/escrow/:chainId', { schema: { params: params({ chainId: CHAIN_ID }), querystring: query({ denom: DENOM }) } }, async (req) =>
    balancesOf(latest(), escrowAccount(req.params.chainId), req.query.denom),
  );
  app.get<{ Querystring: { denom: string } }>('/bank/supply', { schema: { querystring: query({ denom: DENOM }, ['denom']) } }, async (req): Promise<Supply> => {
    const s = latest();
    const { denom } = req.query;
    return { height: s.height, denom, supply: supplyOf(s, denom).toString(), key: text(bankKeys.supply(denom)) };
  });

  // ---- transfer accounting (the hub's forward policy) ----

  app.get<{ Params: { src: string; dst: string }; Querystring: { denom: string } }>(
    '/transfer/routes/:src/:dst',
    { schema: { params: params({ src: CHAIN_ID, dst: CHAIN_ID }), querystring: query({ denom: DENOM }, ['denom']) } },
    async (req): Promise<TransferRoute> => {
      if (hubChainId !== undefined) throw new RpcError('PNT_ERR_RPC_NOT_FOUND', `route accounting is kept by the hub (${hubChainId}), not by ${chain.chainId}`);
      const { src, dst } = req.params;
      const { denom } = req.query;
      const s = latest();
      for (const id of [src, dst]) {
        if (id !== chain.chainId && !chain.wiring.registry.chain(s, id)) throw new PontisError('PNT_ERR_CHAIN_UNKNOWN', `chain ${id} is not registered here`, { details: { chainId: id } });
      }
      return {
        height: s.height,
        src,
        dst,
        denom,
        outstanding: outstandingOf(s, src, dst, denom).toString(),
        onward: onwardOf(s, src, denom).toString(),
        rateLimit: rateLimitOf(s, src, dst, denom) ?? null,
        keys: { outstanding: text(policyKeys.outstanding(src, dst, denom)), onward: text(policyKeys.onward(src, denom)), rateLimit: text(policyKeys.rateLimit(src, dst, denom)) },
      };
    },
  );

  // ---- attestations ----

  app.get<{ Params: { chain: string; subject: string }; Querystring: { issuer: string } }>(
    '/attestations/:chain/:subject',
    { schema: { params: params({ chain: CHAIN_ID, subject: SUBJECT }), querystring: query({ issuer: ISSUER }, ['issuer']) } },
    async (req): Promise<AttestationAnswer> => {
      const { chain: issuerChain, subject } = req.params;
      const { issuer } = req.query;
      const s = latest();
      const now = chain.latestBlockTime();
      const hubRecord = readHubAttestation(s, issuerChain, issuer, subject as Hex);
      const appRecord = readAttestation(s, issuerChain, issuer, subject as Hex);
      if (!hubRecord && !appRecord) throw new PontisError('PNT_ERR_ATTESTATION_NOT_FOUND', `no attestation of ${issuer} on ${issuerChain} about ${subject} recorded here`, { details: { chain: issuerChain, issuer, subject } });
      return {
        height: s.height,
        now,
        chain: issuerChain,
        issuer,
        subject,
        hub: hubRecord ? { key: text(attestKeys.status(issuerChain, issuer, subject as Hex)), status: attestationStatus(hubRecord, now), record: hubRecord } : null,
        app: appRecord ? { key: text(attestationKey(issuerChain, issuer, subject as Hex)), status: attestationStatus(appRecord, now), record: appRecord } : null,
      };
    },
  );
}
