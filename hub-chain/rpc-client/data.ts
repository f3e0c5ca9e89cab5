/**
 * The data-sharing SDK over RPC: what citizens, department operators and their nodes do, as
 * typed calls. Every write waits for its commit and throws the transaction's own PNT_ERR_* code
 * when it failed. The answering agent and the opening of answers are modules/data-sharing/agent.ts
 * with readers over the hub's and the department chain's RPC; secrets stay in the caller's hands
 * (or a Keystore) and never go over the wire.
 */
import { type Bytes, type Hex, fromHex, toHex } from '../crypto/bytes.ts';
import type { AccountKey } from '../crypto/ed25519.ts';
import { dataSign, signingPublicOf } from '../crypto/sealed.ts';
import { PontisError } from '../errors.ts';
import type { Msg } from '../app/tx.ts';
import { type AgentReaders, openAnswer, prepareAnswer } from '../modules/data-sharing/agent.ts';
import { grantIdOf } from '../modules/data-sharing/hub.ts';
import { type InboundRequest, type OutboundRequest, type StoredAnswer, spokeKeys } from '../modules/data-sharing/spoke.ts';
import {
  type AccessRule,
  type ConsentGrant,
  type ConsentRecord,
  type DataProfile,
  type DatasetEntry,
  type NodeKeyRecord,
  type RequestRecord,
  decodeRecord,
  grantSignBytes,
  revokeSignBytes,
} from '../modules/data-sharing/types.ts';
import type { HubClient } from './client.ts';
import type { TxStatus } from '../rpc/wire.ts';

type Committed = Extract<TxStatus, { status: 'committed' }>;

/** Sends `msgs` and throws the transaction's failure as a PontisError with its code. */
export async function sendOk(client: HubClient, key: AccountKey, msgs: Msg[]): Promise<Committed> {
  const r = await client.send(key, msgs);
  if (r.result.code !== 'ok') throw new PontisError(r.result.code, r.result.log ?? `transaction failed with ${r.result.code}`, { details: { tx: r.hash } });
  return r;
}

export interface SignedGrant {
  grant: ConsentGrant;
  signature: Hex;
  grantId: Hex;
}

/** A citizen signs a grant with their own key (never sent anywhere). */
export function signGrant(profile: DataProfile, subjectSecret: Bytes, g: Omit<ConsentGrant, 'v' | 'subject'>): SignedGrant {
  const grant: ConsentGrant = { v: 1, subject: toHex(signingPublicOf(profile, subjectSecret)), scope: g.scope, requester: g.requester, purpose: g.purpose, expiresAt: g.expiresAt, nonce: g.nonce };
  return { grant, signature: toHex(dataSign(profile, subjectSecret, grantSignBytes(grant))), grantId: grantIdOf(profile, grant) };
}

export const signRevocation = (profile: DataProfile, subjectSecret: Bytes, grantId: Hex): Hex => toHex(dataSign(profile, subjectSecret, revokeSignBytes(grantId)));

async function readState<T>(client: HubClient, key: Bytes): Promise<T | undefined> {
  const r = await client.state({ hex: toHex(key) });
  return r.value === null ? undefined : decodeRecord<T>(fromHex(r.value));
}

/** The hub side: catalog, policy, consent, node keys, receipts, and reads of them. */
export class DataSharingClient {
  constructor(
    readonly hub: HubClient,
    readonly profile: DataProfile = 'intl',
  ) {}

  catalogAdd(operator: AccountKey, e: Omit<DatasetEntry, 'ownerOrg' | 'height'>): Promise<Committed> {
    return sendOk(this.hub, operator, [{ type: 'data/catalog-add', id: e.id, ownerChain: e.ownerChain, dataClass: e.dataClass, schemaHash: e.schemaHash, sensitivity: e.sensitivity, consentRequired: e.consentRequired }]);
  }
  async catalog(): Promise<DatasetEntry[]> {
    return (await this.hub.get<{ datasets: DatasetEntry[] }>('/data/catalog?limit=1000')).datasets;
  }
  async dataset(id: string): Promise<DatasetEntry> {
    return (await this.hub.get<{ dataset: DatasetEntry }>(`/data/catalog/${encodeURIComponent(id)}`)).dataset;
  }
  setPolicy(operator: AccountKey, p: { ownerChain: string; dataset?: string; dataClass?: string; rules: AccessRule[] }): Promise<Committed> {
    return sendOk(this.hub, operator, [{ type: 'data/policy-set', ...p }]);
  }
  /** Records a signed grant; anyone may carry it (the subject, or an agent). */
  grant(submitter: AccountKey, g: SignedGrant): Promise<Committed> {
    return sendOk(this.hub, submitter, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }]);
  }
  revoke(submitter: AccountKey, grantId: Hex, signature: Hex): Promise<Committed> {
    return sendOk(this.hub, submitter, [{ type: 'data/consent-revoke', grantId, signature }]);
  }
  async consents(subject: Hex): Promise<ConsentRecord[]> {
    return (await this.hub.get<{ consents: ConsentRecord[] }>(`/data/consents?subject=${subject}`)).consents;
  }
  registerNodeKey(operator: AccountKey, chain: string, keyId: string, publicKey: Bytes): Promise<Committed> {
    return sendOk(this.hub, operator, [{ type: 'data/node-key-register', chain, keyId, publicKey: toHex(publicKey) }]);
  }
  retireNodeKey(operator: AccountKey, chain: string, keyId: string): Promise<Committed> {
    return sendOk(this.hub, operator, [{ type: 'data/node-key-retire', chain, keyId }]);
  }
  async nodeKey(chain: string, keyId: string): Promise<NodeKeyRecord> {
    return (await this.hub.get<{ key: NodeKeyRecord }>(`/data/node-keys/${chain}/${encodeURIComponent(keyId)}`)).key;
  }
  async request(requestId: string): Promise<RequestRecord> {
    return (await this.hub.get<{ request: RequestRecord }>(`/data/requests/${encodeURIComponent(requestId)}`)).request;
  }
}

/** A department chain (spoke) as its users and node see it. */
export class DepartmentClient {
  constructor(
    readonly spoke: HubClient,
    readonly hub: HubClient,
    readonly profile: DataProfile = 'intl',
  ) {}

  /** Sends a request; returns its id (`<this chain>:<sequence>`). */
  async request(user: AccountKey, m: { dstChain: string; dataset: string; purpose: string; subject: Hex; records: number; recipientKey: string; regulatorKey?: { chain: string; keyId: string }; grantId?: Hex; consent?: { grant: ConsentGrant; signature: Hex }; timeoutTimestamp?: number }): Promise<string> {
    const r = await sendOk(this.spoke, user, [{ type: 'data/request', ...m }]);
    const e = r.result.events.find((x) => x.type === 'data/requested');
    if (!e) throw new PontisError('PNT_ERR_DATA_MALFORMED', 'the request transaction reported no request id');
    return e.attributes.requestId;
  }
  outbound(requestId: string): Promise<OutboundRequest | undefined> {
    return readState(this.spoke, spokeKeys.outbound(requestId));
  }
  inbound(requestId: string): Promise<InboundRequest | undefined> {
    return readState(this.spoke, spokeKeys.inbound(requestId));
  }
  answer(requestId: string): Promise<StoredAnswer | undefined> {
    return readState(this.spoke, spokeKeys.answer(requestId));
  }

  readers(): AgentReaders {
    return {
      proveHub: async (key, height) => {
        const r = await this.hub.state({ hex: toHex(key) }, { height, prove: true });
        return { value: r.value === null ? undefined : fromHex(r.value), proof: r.proof };
      },
      readSpoke: async (key) => {
        const r = await this.spoke.state({ hex: toHex(key) });
        return r.value === null ? undefined : fromHex(r.value);
      },
      hubClientHeight: async () => {
        const hubId = (await this.hub.status()).chainId;
        return (await this.spoke.clientStatus(hubId)).record.latestHeight;
      },
      spokeTime: async () => (await this.spoke.status()).latestBlockTime ?? Date.now(),
    };
  }

  /** The source's agent: answers `requestId` from `lookup` (sealed to the recipients), or refuses it; returns the refusal code if it refused. */
  async answerRequest(operator: AccountKey, requestId: string, lookup: (req: InboundRequest) => Promise<Bytes | { refused: string }>): Promise<{ refused?: string }> {
    const chainId = (await this.spoke.status()).chainId;
    const { msg, refused } = await prepareAnswer({ profile: this.profile, chainId, requestId, readers: this.readers(), lookup });
    await sendOk(this.spoke, operator, [msg as unknown as Msg]);
    return refused ? { refused } : {};
  }

  /** Opens an answer at this node and records the decrypt receipt on the hub (signed by an operator of this department). */
  async fetchAnswer(o: { operator: AccountKey; requestId: string; keyId: string; secretKey: Bytes }): Promise<Bytes> {
    const chainId = (await this.spoke.status()).chainId;
    const a = await this.answer(o.requestId);
    if (!a) throw new PontisError('PNT_ERR_DATA_UNKNOWN_REQUEST', `no answer to ${o.requestId} has arrived on ${chainId}`);
    if (a.refused) throw new PontisError(a.refused, `the source refused ${o.requestId}: ${a.refused}`);
    const plaintext = openAnswer(this.profile, o.requestId, { chain: chainId, keyId: o.keyId, secretKey: o.secretKey }, a.envelope!, a.commitment!);
    await sendOk(this.hub, o.operator, [{ type: 'data/decrypt-receipt', requestId: o.requestId, chain: chainId, keyId: o.keyId, commitment: a.commitment! }]);
    return plaintext;
  }
}
