/**
 * The ordering service of the stand-in (one orderer, solo-style): `broadcast` checks an envelope
 * (channel, creator chains to a channel MSP, signature over the payload) as Fabric's broadcast
 * filters do, queues it, and cuts a block when `batchSize` envelopes wait or `batchTimeoutMs`
 * passed since the first one. Sizes cut as Fabric's block cutter does with the channel's
 * BatchSize.PreferredMaxBytes: an envelope that would take the pending batch past it cuts that
 * batch first, and one larger than it goes into a block of its own. A block is a real `common.Block`: header number, previous hash
 * (header hash of the previous block), data hash over its envelopes, and the orderer's signature
 * in metadata SIGNATURES laid out as Fabric's: Metadata{value = OrdererBlockMetadata,
 * signatures = [{signature_header, signature over value || signature_header || header bytes}]}.
 * Blocks go to `deliver` (the committing peer) one at a time, in order.
 */
import { randomBytes } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { blockDataHash, blockHeaderBytes, blockHeaderHash } from '../../hub-chain/light-clients/fabric/block.ts';
import type { MspRegistry } from '../../hub-chain/light-clients/fabric/msp.ts';
import type { Signer } from './identity.ts';

export interface OrdererOptions {
  channelId: string;
  signer: Signer;
  msps: MspRegistry;
  /** Number and header hash of the last block on the ledger (the orderer continues from there). */
  tip: { number: number; headerHash: Uint8Array };
  deliver(block: common.Block): Promise<void>;
  onDeliverError?(e: unknown, blockNumber: number): void;
  batchSize?: number;
  batchTimeoutMs?: number;
  /** BatchSize.PreferredMaxBytes; default 512 KiB, as in Fabric's sample channel configuration (configtx.yaml). */
  preferredMaxBytes?: number;
}

/** Fabric's sample channel configuration's PreferredMaxBytes. */
export const DEFAULT_PREFERRED_MAX_BYTES = 512 * 1024;

export interface BroadcastResult {
  status: number;
  info: string;
}

/** Signs `block`'s header into its SIGNATURES metadata (used for every block, the genesis included). */
export function signBlock(block: common.Block, signer: Signer): void {
  const h = block.getHeader()!;
  const headerBytes = blockHeaderBytes({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() });
  const obm = new common.OrdererBlockMetadata();
  const lc = new common.LastConfig();
  lc.setIndex(0);
  obm.setLastConfig(lc);
  const value = obm.serializeBinary();
  const sh = new common.SignatureHeader();
  sh.setCreator(signer.creator);
  sh.setNonce(randomBytes(24));
  const shBytes = sh.serializeBinary();
  const ms = new common.MetadataSignature();
  ms.setSignatureHeader(shBytes);
  ms.setSignature(signer.sign(Buffer.concat([value, shBytes, headerBytes])));
  const md = new common.Metadata();
  md.setValue(value);
  md.setSignaturesList([ms]);
  const list = block.getMetadata()!.getMetadataList_asU8();
  list[common.BlockMetadataIndex.SIGNATURES] = md.serializeBinary();
  block.getMetadata()!.setMetadataList(list);
}

/** An unsigned block of `envelopes` after `prev`, with the five metadata slots Fabric allocates. */
export function newBlock(number: number, previousHash: Uint8Array, envelopes: Uint8Array[]): common.Block {
  const header = new common.BlockHeader();
  header.setNumber(number);
  header.setPreviousHash(previousHash);
  header.setDataHash(blockDataHash(envelopes));
  const data = new common.BlockData();
  data.setDataList(envelopes);
  const md = new common.BlockMetadata();
  md.setMetadataList([new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()]);
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(md);
  return block;
}

export function headerHashOf(block: common.Block): Uint8Array {
  const h = block.getHeader()!;
  return blockHeaderHash({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() });
}

export class Orderer {
  readonly #o: OrdererOptions;
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #preferredMaxBytes: number;
  #queue: Uint8Array[] = [];
  #queueBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #next: number;
  #prevHash: Uint8Array;
  #delivering: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(o: OrdererOptions) {
    this.#o = o;
    this.#batchSize = o.batchSize ?? 500;
    this.#timeoutMs = o.batchTimeoutMs ?? 100;
    this.#preferredMaxBytes = o.preferredMaxBytes ?? DEFAULT_PREFERRED_MAX_BYTES;
    this.#next = o.tip.number + 1;
    this.#prevHash = o.tip.headerHash;
  }

  /** Fabric's Broadcast for one envelope: SUCCESS once queued for ordering. */
  broadcast(envBytes: Uint8Array): BroadcastResult {
    if (this.#stopped) return { status: common.Status.SERVICE_UNAVAILABLE, info: 'orderer is stopping' };
    try {
      const env = common.Envelope.deserializeBinary(envBytes);
      const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
      const header = payload.getHeader();
      if (!header) return { status: common.Status.BAD_REQUEST, info: 'bad header' };
      const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
      if (ch.getChannelId() !== this.#o.channelId) return { status: common.Status.NOT_FOUND, info: `channel ${ch.getChannelId()} not found` };
      const sh = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
      try {
        this.#o.msps.verify(sh.getCreator_asU8(), env.getPayload_asU8(), env.getSignature_asU8());
      } catch (e) {
        return { status: common.Status.FORBIDDEN, info: `implicit policy evaluation failed - signature set did not satisfy policy: ${(e as Error).message}` };
      }
    } catch {
      return { status: common.Status.BAD_REQUEST, info: 'malformed envelope' };
    }
    if (this.#queueBytes + envBytes.length > this.#preferredMaxBytes) this.#cut();
    this.#queue.push(envBytes);
    this.#queueBytes += envBytes.length;
    if (this.#queue.length >= this.#batchSize || this.#queueBytes > this.#preferredMaxBytes) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.#timeoutMs);
    return { status: common.Status.SUCCESS, info: '' };
  }

  #cut(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const envelopes = this.#queue;
    this.#queue = [];
    this.#queueBytes = 0;
    const block = newBlock(this.#next, this.#prevHash, envelopes);
    signBlock(block, this.#o.signer);
    this.#next += 1;
    this.#prevHash = headerHashOf(block);
    // a failed delivery must not stall the blocks after it
    this.#delivering = this.#delivering.then(() => this.#o.deliver(block)).catch((e: unknown) => this.#o.onDeliverError?.(e, block.getHeader()!.getNumber()));
  }

  /** Cuts what is queued and waits until every block has been delivered. */
  async stop(): Promise<void> {
    this.#cut();
    this.#stopped = true;
    await this.#delivering;
  }
}
