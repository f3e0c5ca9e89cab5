/**
 * The peer side of Fabric's chaincode protocol, for chaincode-as-a-service: the peer dials the
 * chaincode's server (`protos.Chaincode/Connect`), answers its REGISTER with REGISTERED and READY,
 * then sends TRANSACTION messages and serves the chaincode's state calls (GET_STATE, PUT_STATE,
 * DEL_STATE, GET_STATE_BY_RANGE, GET_HISTORY_FOR_KEY, QUERY_STATE_NEXT/CLOSE) against a simulator
 * over the committed world state, until COMPLETED or ERROR. The simulator records what Fabric's
 * does: each key read with the version it had (absent: no version), each write or delete (the
 * last one per key wins; reads never see the transaction's own writes, as in Fabric).
 */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { ledger as lp, peer } from '@hyperledger/fabric-protos';
import { FabricNetworkError } from '../errors.ts';
import type { Ledger, Version } from '../ledger.ts';

/** google.protobuf.Timestamp, from the copy fabric-protos uses (it ships without type declarations). */
const { Timestamp } = createRequire(import.meta.url)('google-protobuf/google/protobuf/timestamp_pb.js') as {
  Timestamp: new () => { setSeconds(s: number): void; setNanos(n: number): void };
};

const T = peer.ChaincodeMessage.Type;
const RANGE_PAGE = 100;
const EXECUTE_TIMEOUT_MS = 30_000;

export interface SimulationResult {
  /** The chaincode's response (status >= 400: an error it returned). */
  response: peer.Response;
  /** The chaincode event it set, with chaincode id and txid filled as Fabric's peer does. */
  event?: peer.ChaincodeEvent;
  /** Serialized `rwset.TxReadWriteSet` of the chaincode's namespace. */
  rwset: Uint8Array;
}

/** Reads and writes of one simulated transaction in one namespace. */
class TxSimulator {
  readonly reads = new Map<string, Version | null>();
  readonly writes = new Map<string, Uint8Array | null>();
  /** Open query iterators: each yields result bytes, and may record a read for each. */
  readonly iterators = new Map<string, Generator<Uint8Array>>();
  #nextIter = 0;

  constructor(
    readonly ledger: Ledger,
    readonly ns: string,
  ) {}

  get(key: string): Uint8Array {
    const v = this.ledger.state(this.ns, key);
    if (!this.reads.has(key)) this.reads.set(key, v ? v.version : null);
    return v ? v.value : new Uint8Array();
  }

  #open(items: Generator<Uint8Array>): string {
    const id = `iter-${this.#nextIter++}`;
    this.iterators.set(id, items);
    return id;
  }

  /** Range queries as Fabric records them for phantom checks: bounds, whether exhausted, keys and versions seen. */
  readonly ranges: { start: string; end: string; exhausted: boolean; reads: { key: string; version: Version }[] }[] = [];

  /** A range query, recorded in `ranges` (not as point reads, as in Fabric). */
  openRange(start: string, end: string): string {
    const sim = this;
    const info = { start, end, exhausted: false, reads: [] as { key: string; version: Version }[] };
    this.ranges.push(info);
    return this.#open(
      (function* () {
        for (const r of sim.ledger.range(sim.ns, start, end)) {
          info.reads.push({ key: r.key, version: r.version });
          const kv = new lp.queryresult.KV();
          kv.setNamespace(sim.ns);
          kv.setKey(r.key);
          kv.setValue(r.value);
          yield kv.serializeBinary();
        }
        info.exhausted = true;
      })(),
    );
  }

  /** A key's committed history, newest first; like Fabric, not part of the read set. */
  openHistory(key: string): string {
    const sim = this;
    return this.#open(
      (function* () {
        for (const c of sim.ledger.history(sim.ns, key)) {
          const m = new lp.queryresult.KeyModification();
          m.setTxId(c.txId);
          m.setIsDelete(c.value === undefined);
          if (c.value) m.setValue(c.value);
          const ts = new Timestamp();
          ts.setSeconds(Math.floor(c.timestampMs / 1000));
          ts.setNanos((c.timestampMs % 1000) * 1e6);
          m.setTimestamp(ts);
          yield m.serializeBinary();
        }
      })(),
    );
  }

  /** The next page of an open query. */
  page(id: string): peer.QueryResponse {
    const it = this.iterators.get(id);
    const res = new peer.QueryResponse();
    res.setId(id);
    if (!it) return res;
    const results: peer.QueryResultBytes[] = [];
    let done = false;
    while (results.length < RANGE_PAGE) {
      const n = it.next();
      if (n.done) {
        done = true;
        break;
      }
      const qr = new peer.QueryResultBytes();
      qr.setResultbytes(n.value);
      results.push(qr);
    }
    if (done) this.iterators.delete(id);
    res.setResultsList(results);
    res.setHasMore(!done);
    return res;
  }

  /** The namespace's read/write set, keys sorted as Fabric sorts them. */
  rwset(): Uint8Array {
    const kv = new lp.rwset.kvrwset.KVRWSet();
    kv.setReadsList(
      [...this.reads.keys()].sort().map((k) => {
        const r = new lp.rwset.kvrwset.KVRead();
        r.setKey(k);
        const ver = this.reads.get(k);
        if (ver) {
          const v = new lp.rwset.kvrwset.Version();
          v.setBlockNum(ver.block);
          v.setTxNum(ver.tx);
          r.setVersion(v);
        }
        return r;
      }),
    );
    kv.setWritesList(
      [...this.writes.keys()].sort().map((k) => {
        const w = new lp.rwset.kvrwset.KVWrite();
        w.setKey(k);
        const val = this.writes.get(k);
        if (val === null || val === undefined) w.setIsDelete(true);
        else w.setValue(val);
        return w;
      }),
    );
    kv.setRangeQueriesInfoList(
      this.ranges.map((q) => {
        const info = new lp.rwset.kvrwset.RangeQueryInfo();
        info.setStartKey(q.start);
        info.setEndKey(q.end);
        info.setItrExhausted(q.exhausted);
        const raw = new lp.rwset.kvrwset.QueryReads();
        raw.setKvReadsList(
          q.reads.map((r) => {
            const read = new lp.rwset.kvrwset.KVRead();
            read.setKey(r.key);
            const v = new lp.rwset.kvrwset.Version();
            v.setBlockNum(r.version.block);
            v.setTxNum(r.version.tx);
            read.setVersion(v);
            return read;
          }),
        );
        info.setRawReads(raw);
        return info;
      }),
    );
    const ns = new lp.rwset.NsReadWriteSet();
    ns.setNamespace(this.ns);
    ns.setRwset(kv.serializeBinary());
    const tx = new lp.rwset.TxReadWriteSet();
    tx.setDataModel(lp.rwset.TxReadWriteSet.DataModel.KV);
    tx.setNsRwsetList([ns]);
    return tx.serializeBinary();
  }
}

interface Pending {
  sim: TxSimulator;
  resolve(r: SimulationResult): void;
  reject(e: Error): void;
}

/** One peer's stream to one chaincode server. */
export class ChaincodeConnection {
  readonly #client: peer.ChaincodeClient;
  readonly #stream: grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>;
  readonly #pending = new Map<string, Pending>();
  #closed: Error | undefined;

  private constructor(
    readonly name: string,
    address: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions,
  ) {
    this.#client = new peer.ChaincodeClient(address, credentials, options);
    this.#stream = this.#client.connect();
    this.#stream.on('data', (m: peer.ChaincodeMessage) => this.#onMessage(m));
    const fail = (e: Error) => {
      this.#closed = e;
      for (const [, p] of this.#pending) p.reject(e);
      this.#pending.clear();
    };
    this.#stream.on('error', fail);
    this.#stream.on('end', () => fail(new Error('chaincode stream terminated')));
  }

  /** Dials the chaincode server and completes the REGISTER / REGISTERED / READY handshake. */
  static async connect(name: string, address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}, timeoutMs = 10_000): Promise<ChaincodeConnection> {
    const c = new ChaincodeConnection(name, address, credentials, options);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        c.close();
        reject(e);
      };
      const timer = setTimeout(() => fail(new Error(`chaincode ${name} at ${address} did not register within ${timeoutMs} ms`)), timeoutMs);
      c.#stream.once('error', (e) => {
        clearTimeout(timer);
        fail(e);
      });
      c.#onRegister = () => {
        clearTimeout(timer);
        const registered = new peer.ChaincodeMessage();
        registered.setType(T.REGISTERED);
        c.#stream.write(registered);
        const ready = new peer.ChaincodeMessage();
        ready.setType(T.READY);
        c.#stream.write(ready);
        resolve();
      };
    });
    return c;
  }

  /** Set while the handshake waits for the chaincode's REGISTER. */
  #onRegister: (() => void) | undefined;

  get alive(): boolean {
    return this.#closed === undefined;
  }

  /** Runs one transaction of the chaincode (`Invoke`) against the committed state of `ledger`. */
  execute(ledger: Ledger, channelId: string, txId: string, signedProposal: peer.SignedProposal, input: peer.ChaincodeInput): Promise<SimulationResult> {
    if (this.#closed) return Promise.reject(this.#closed);
    const key = `${channelId}${txId}`;
    if (this.#pending.has(key)) return Promise.reject(new Error(`transaction ${txId} is already executing`));
    return new Promise<SimulationResult>((resolve, reject) => {
      // Fabric's peer gives up on a chaincode after its execute timeout (30 s by default)
      const timer = setTimeout(() => {
        if (this.#pending.get(key)?.resolve !== done) return;
        this.#pending.delete(key);
        reject(new Error(`timeout expired while executing transaction ${txId}`));
      }, EXECUTE_TIMEOUT_MS);
      const done = (r: SimulationResult) => {
        clearTimeout(timer);
        resolve(r);
      };
      const failed = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      this.#pending.set(key, { sim: new TxSimulator(ledger, this.name), resolve: done, reject: failed });
      const m = new peer.ChaincodeMessage();
      m.setType(T.TRANSACTION);
      m.setPayload(input.serializeBinary());
      m.setTxid(txId);
      m.setChannelId(channelId);
      m.setProposal(signedProposal);
      this.#stream.write(m);
    });
  }

  #reply(req: peer.ChaincodeMessage, type: number, payload: Uint8Array): void {
    const m = new peer.ChaincodeMessage();
    m.setType(type as peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap]);
    m.setPayload(payload);
    m.setTxid(req.getTxid());
    m.setChannelId(req.getChannelId());
    this.#stream.write(m);
  }

  #onMessage(m: peer.ChaincodeMessage): void {
    const type = m.getType();
    if (type === T.REGISTER) {
      this.#onRegister?.();
      this.#onRegister = undefined;
      return;
    }
    const key = `${m.getChannelId()}${m.getTxid()}`;
    const p = this.#pending.get(key);
    if (!p) {
      if (type !== T.COMPLETED && type !== T.ERROR) this.#reply(m, T.ERROR, Buffer.from(`no transaction ${m.getTxid()} in progress`));
      return;
    }
    try {
      switch (type) {
        case T.COMPLETED: {
          this.#pending.delete(key);
          const ev = m.getChaincodeEvent();
          if (ev) {
            ev.setChaincodeId(this.name);
            ev.setTxId(m.getTxid());
          }
          p.resolve({ response: peer.Response.deserializeBinary(m.getPayload_asU8()), event: ev, rwset: p.sim.rwset() });
          return;
        }
        case T.ERROR:
          this.#pending.delete(key);
          p.reject(new Error(`transaction returned with failure: ${Buffer.from(m.getPayload_asU8()).toString()}`));
          return;
        case T.GET_STATE: {
          const g = peer.GetState.deserializeBinary(m.getPayload_asU8());
          if (g.getCollection()) throw new Error('private data is not supported by this network');
          this.#reply(m, T.RESPONSE, p.sim.get(g.getKey()));
          return;
        }
        case T.PUT_STATE: {
          const s = peer.PutState.deserializeBinary(m.getPayload_asU8());
          if (s.getCollection()) throw new Error('private data is not supported by this network');
          if (!s.getKey()) throw new Error('key must not be empty');
          p.sim.writes.set(s.getKey(), s.getValue_asU8());
          this.#reply(m, T.RESPONSE, new Uint8Array());
          return;
        }
        case T.DEL_STATE: {
          const d = peer.DelState.deserializeBinary(m.getPayload_asU8());
          if (d.getCollection()) throw new Error('private data is not supported by this network');
          p.sim.writes.set(d.getKey(), null);
          this.#reply(m, T.RESPONSE, new Uint8Array());
          return;
        }
        case T.GET_STATE_BY_RANGE: {
          const r = peer.GetStateByRange.deserializeBinary(m.getPayload_asU8());
          if (r.getCollection()) throw new Error('private data is not supported by this network');
          const id = p.sim.openRange(r.getStartkey(), r.getEndkey());
          this.#reply(m, T.RESPONSE, p.sim.page(id).serializeBinary());
          return;
        }
        case T.GET_HISTORY_FOR_KEY: {
          const key = peer.GetHistoryForKey.deserializeBinary(m.getPayload_asU8()).getKey();
          this.#reply(m, T.RESPONSE, p.sim.page(p.sim.openHistory(key)).serializeBinary());
          return;
        }
        case T.QUERY_STATE_NEXT: {
          const id = peer.QueryStateNext.deserializeBinary(m.getPayload_asU8()).getId();
          this.#reply(m, T.RESPONSE, p.sim.page(id).serializeBinary());
          return;
        }
        case T.QUERY_STATE_CLOSE: {
          const id = peer.QueryStateClose.deserializeBinary(m.getPayload_asU8()).getId();
          p.sim.iterators.delete(id);
          const res = new peer.QueryResponse();
          res.setId(id);
          this.#reply(m, T.RESPONSE, res.serializeBinary());
          return;
        }
        default:
          throw new Error(`message type ${type} is not supported by this network`);
      }
    } catch (e) {
      this.#reply(m, T.ERROR, Buffer.from((e as Error).message));
    }
  }

  close(): void {
    this.#closed ??= new Error('chaincode connection closed');
    this.#stream.cancel();
    this.#client.close();
  }
}

/** Where a chaincode-as-a-service server listens, and how to reach it over TLS (absent: plain gRPC). */
export interface ChaincodeEndpoint {
  address: string;
  tls?: {
    /** CA that issued the chaincode server's certificate. */
    caPem: string;
    /** Name the server certificate is checked against (default: the address's host). */
    serverName?: string;
    /** Client certificate and key, for a chaincode server that requires mutual TLS. */
    clientCertPem?: string;
    clientKeyPem?: string;
  };
}

/**
 * A peer's link to one chaincode-as-a-service server: dials on first use and again when the
 * stream has ended (the chaincode restarted), one dial at a time.
 */
export class ChaincodeDialer {
  #conn: ChaincodeConnection | undefined;
  #dialing: Promise<ChaincodeConnection> | undefined;
  #closed = false;
  readonly #credentials: grpc.ChannelCredentials;
  readonly #options: grpc.ChannelOptions;

  constructor(
    readonly name: string,
    readonly endpoint: ChaincodeEndpoint,
  ) {
    const tls = endpoint.tls;
    this.#credentials = tls
      ? grpc.credentials.createSsl(Buffer.from(tls.caPem), tls.clientKeyPem ? Buffer.from(tls.clientKeyPem) : null, tls.clientCertPem ? Buffer.from(tls.clientCertPem) : null)
      : grpc.credentials.createInsecure();
    this.#options = tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {};
  }

  async connection(): Promise<ChaincodeConnection> {
    if (this.#closed) throw new FabricNetworkError('PNT_ERR_FABNET_CHAINCODE', `chaincode ${this.name}: peer is stopping`);
    if (this.#conn?.alive) return this.#conn;
    const { address } = this.endpoint;
    this.#dialing ??= ChaincodeConnection.connect(this.name, address, this.#credentials, this.#options)
      .then((c) => {
        this.#conn?.close();
        this.#conn = c;
        return c;
      })
      .catch((e: unknown) => {
        throw new FabricNetworkError('PNT_ERR_FABNET_CHAINCODE', `cannot reach chaincode ${this.name} at ${address}: ${(e as Error).message}`, { cause: e, retryable: true });
      })
      .finally(() => (this.#dialing = undefined));
    return this.#dialing;
  }

  close(): void {
    this.#closed = true;
    this.#conn?.close();
  }
}
