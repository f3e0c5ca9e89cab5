/**
 * The stand-in orderer cuts blocks by size the way Fabric's block cutter does with the channel's
 * BatchSize.PreferredMaxBytes (default 512 KiB, Fabric's sample configuration): an envelope that
 * would take the pending batch past it cuts that batch first, and one larger than it goes into a
 * block of its own. Relay proofs carry whole Fabric blocks, so a block must stay small enough
 * for a hub transaction.
 */
import { createPrivateKey } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCa, issue } from '../../../devnet/fabric/ca.ts';
import { newSigner, type Signer } from '../../../devnet/fabric/identity.ts';
import { DEFAULT_PREFERRED_MAX_BYTES, Orderer } from '../../../devnet/fabric/orderer.ts';
import { MspRegistry } from '../../../hub-chain/light-clients/fabric/msp.ts';

const CHANNEL = 'mychannel';
let user: Signer;
let msps: MspRegistry;

beforeAll(async () => {
  const ca = await createCa('ca.org1.example.com', 'org1.example.com');
  const leaf = await issue(ca, { commonName: 'User1@org1.example.com', org: 'org1.example.com', ou: 'client' });
  user = newSigner('Org1MSP', leaf.certPem, createPrivateKey(leaf.keyPem));
  msps = new MspRegistry({ Org1MSP: [ca.certPem] });
});

/** A signed envelope for the channel whose payload carries `bytes` of data. */
function envelope(bytes: number): Uint8Array {
  const ch = new common.ChannelHeader();
  ch.setChannelId(CHANNEL);
  ch.setType(common.HeaderType.ENDORSER_TRANSACTION);
  const sh = new common.SignatureHeader();
  sh.setCreator(user.creator);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(new Uint8Array(bytes));
  const p = payload.serializeBinary();
  const env = new common.Envelope();
  env.setPayload(p);
  env.setSignature(user.sign(p));
  return env.serializeBinary();
}

function orderer(blocks: common.Block[], o: { preferredMaxBytes?: number } = {}): Orderer {
  const signer = user; // the orderer's own signature is not what this test checks
  return new Orderer({ channelId: CHANNEL, signer, msps, tip: { number: 0, headerHash: new Uint8Array(32) }, batchTimeoutMs: 60_000, batchSize: 500, deliver: async (b) => void blocks.push(b), ...o });
}

const sizes = (blocks: common.Block[]) => blocks.map((b) => b.getData()!.getDataList().length);

describe('stand-in orderer: blocks cut by size (BatchSize.PreferredMaxBytes)', () => {
  it('behavior: an envelope that would take the pending batch past 512 KiB cuts it first; the rest waits for the next cut', async () => {
    expect(DEFAULT_PREFERRED_MAX_BYTES).toBe(512 * 1024);
    const blocks: common.Block[] = [];
    const o = orderer(blocks);
    for (let i = 0; i < 5; i++) expect(o.broadcast(envelope(200 * 1024)).status).toBe(common.Status.SUCCESS);
    await o.stop();
    expect(sizes(blocks)).toEqual([2, 2, 1]);
    expect(blocks.map((b) => b.getHeader()!.getNumber())).toEqual([1, 2, 3]);
    for (const b of blocks) expect(b.getData()!.getDataList().reduce((a, e) => a + (e as Uint8Array).length, 0)).toBeLessThanOrEqual(DEFAULT_PREFERRED_MAX_BYTES);
  });

  it('behavior: an envelope larger than PreferredMaxBytes goes into a block of its own, after the batch pending before it', async () => {
    const blocks: common.Block[] = [];
    const o = orderer(blocks, { preferredMaxBytes: 100 * 1024 });
    o.broadcast(envelope(10 * 1024));
    o.broadcast(envelope(10 * 1024));
    o.broadcast(envelope(300 * 1024));
    o.broadcast(envelope(10 * 1024));
    await o.stop();
    expect(sizes(blocks)).toEqual([2, 1, 1]);
    expect((blocks[1].getData()!.getDataList()[0] as Uint8Array).length).toBeGreaterThan(300 * 1024);
  });

  it('behavior: small envelopes still cut at batchSize', async () => {
    const blocks: common.Block[] = [];
    const o = new Orderer({ channelId: CHANNEL, signer: user, msps, tip: { number: 0, headerHash: new Uint8Array(32) }, batchTimeoutMs: 60_000, batchSize: 3, deliver: async (b) => void blocks.push(b) });
    for (let i = 0; i < 7; i++) o.broadcast(envelope(100));
    await o.stop();
    expect(sizes(blocks)).toEqual([3, 3, 1]);
  });
});
