/**
 * The peer side of the chaincode protocol, minimal, for tests of the chaincode-as-a-service:
 * it dials the chaincode server (protos.Chaincode/Connect over TLS, as a peer does with the ccaas
 * builder), answers REGISTER with REGISTERED and READY, sends TRANSACTION messages carrying a
 * real SignedProposal (channel header with the timestamp, the creator's serialized x509
 * identity, signed with its key), serves GET_STATE / PUT_STATE / DEL_STATE from an in-memory
 * ledger, and applies a transaction's writes when it COMPLETEs with status 200 (no ordering,
 * no MVCC: the stand-in network on branch fabric-net does that).
 */
import { createHash, randomBytes, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { common, msp, peer } from '@hyperledger/fabric-protos';

export interface Identity {
  mspId: string;
  certPem: string;
  keyPem: string;
}

export interface InvokeResult {
  status: number;
  message: string;
  payload: string;
  event?: { name: string; payload: string };
  /** Keys written (null: deleted) when the transaction succeeded. */
  writes: Map<string, Buffer | null>;
  /** Keys the transaction read (its read set: what Fabric's MVCC check compares at commit). */
  reads: Set<string>;
}

interface Pending {
  writes: Map<string, Buffer | null>;
  reads: Set<string>;
  resolve(r: InvokeResult): void;
  reject(e: Error): void;
}

const T = peer.ChaincodeMessage.Type;
const require = createRequire(import.meta.url);
/** google.protobuf.Timestamp as fabric-protos uses it (google-protobuf ships no types). */
const TimestampClass = () => (require('google-protobuf/google/protobuf/timestamp_pb.js') as { Timestamp: new () => { setSeconds(s: number): void; setNanos(n: number): void } }).Timestamp;
const ChaincodeClient = grpc.makeGenericClientConstructor(peer.ChaincodeService as unknown as grpc.ServiceDefinition, 'Chaincode');

export class TestPeer {
  readonly ledger = new Map<string, Buffer>();
  private readonly pending = new Map<string, Pending>();
  private stream!: grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>;
  private client!: grpc.Client;
  registeredAs = '';

  private constructor(private readonly channel: string) {}

  /** Connects to the chaincode server at `address` and completes the registration handshake. */
  static async connect(address: string, tls: { caPem: string; certPem: string; keyPem: string; serverName: string }, channel = 'gov'): Promise<TestPeer> {
    const p = new TestPeer(channel);
    const creds = grpc.credentials.createSsl(Buffer.from(tls.caPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem));
    p.client = new ChaincodeClient(address, creds, { 'grpc.ssl_target_name_override': tls.serverName });
    p.stream = (p.client as unknown as { connect(): grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage> }).connect();
    await new Promise<void>((resolve, reject) => {
      p.stream.on('error', reject);
      p.stream.on('data', (m: peer.ChaincodeMessage) => {
        if (m.getType() === T.REGISTER) {
          p.registeredAs = peer.ChaincodeID.deserializeBinary(m.getPayload_asU8()).getName();
          p.send(T.REGISTERED, new Uint8Array(), '');
          p.send(T.READY, new Uint8Array(), '');
          resolve();
          return;
        }
        p.onMessage(m);
      });
    });
    return p;
  }

  /** Invokes `fn` (`contract:function` or a default-contract function) as `who` at `timeMs`. */
  invoke(fn: string, args: string[], who: Identity, timeMs = Date.now()): Promise<InvokeResult> {
    const input = new peer.ChaincodeInput();
    input.setArgsList([fn, ...args].map((a) => Buffer.from(a)));
    const creator = new msp.SerializedIdentity();
    creator.setMspid(who.mspId);
    creator.setIdBytes(Buffer.from(who.certPem));
    const creatorBytes = creator.serializeBinary();
    const nonce = randomBytes(24);
    const txId = createHash('sha256').update(nonce).update(creatorBytes).digest('hex');
    const chdr = new common.ChannelHeader();
    const ts = new (TimestampClass())();
    ts.setSeconds(Math.floor(timeMs / 1000));
    ts.setNanos((timeMs % 1000) * 1_000_000);
    chdr.setType(common.HeaderType.ENDORSER_TRANSACTION);
    chdr.setChannelId(this.channel);
    chdr.setTxId(txId);
    chdr.setTimestamp(ts as never);
    const shdr = new common.SignatureHeader();
    shdr.setCreator(creatorBytes);
    shdr.setNonce(nonce);
    const hdr = new common.Header();
    hdr.setChannelHeader(chdr.serializeBinary());
    hdr.setSignatureHeader(shdr.serializeBinary());
    const spec = new peer.ChaincodeSpec();
    spec.setType(peer.ChaincodeSpec.Type.NODE);
    const ccid = new peer.ChaincodeID();
    ccid.setName('pontis');
    spec.setChaincodeId(ccid);
    spec.setInput(input);
    const cis = new peer.ChaincodeInvocationSpec();
    cis.setChaincodeSpec(spec);
    const ccpp = new peer.ChaincodeProposalPayload();
    ccpp.setInput(cis.serializeBinary());
    const proposal = new peer.Proposal();
    proposal.setHeader(hdr.serializeBinary());
    proposal.setPayload(ccpp.serializeBinary());
    const proposalBytes = proposal.serializeBinary();
    const signed = new peer.SignedProposal();
    signed.setProposalBytes(proposalBytes);
    signed.setSignature(sign('sha256', proposalBytes, who.keyPem));

    return new Promise<InvokeResult>((resolve, reject) => {
      this.pending.set(txId, { writes: new Map(), reads: new Set(), resolve, reject });
      const m = new peer.ChaincodeMessage();
      m.setType(T.TRANSACTION);
      m.setPayload(input.serializeBinary());
      m.setTxid(txId);
      m.setChannelId(this.channel);
      m.setProposal(signed);
      this.stream.write(m);
    });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }

  private onMessage(m: peer.ChaincodeMessage): void {
    const txId = m.getTxid();
    const tx = this.pending.get(txId);
    if (!tx) return;
    const payload = m.getPayload_asU8();
    switch (m.getType()) {
      case T.GET_STATE: {
        const key = peer.GetState.deserializeBinary(payload).getKey();
        tx.reads.add(key);
        // a transaction reads committed state, never its own writes (as Fabric's simulator)
        this.send(T.RESPONSE, this.ledger.get(key) ?? new Uint8Array(), txId);
        return;
      }
      case T.PUT_STATE: {
        const put = peer.PutState.deserializeBinary(payload);
        tx.writes.set(put.getKey(), Buffer.from(put.getValue_asU8()));
        this.send(T.RESPONSE, new Uint8Array(), txId);
        return;
      }
      case T.DEL_STATE: {
        tx.writes.set(peer.DelState.deserializeBinary(payload).getKey(), null);
        this.send(T.RESPONSE, new Uint8Array(), txId);
        return;
      }
      case T.COMPLETED: {
        this.pending.delete(txId);
        const r = peer.Response.deserializeBinary(payload);
        const ev = m.getChaincodeEvent();
        if (r.getStatus() === 200) for (const [k, v] of tx.writes) v === null ? this.ledger.delete(k) : this.ledger.set(k, v);
        tx.resolve({
          status: r.getStatus(),
          message: r.getMessage(),
          payload: Buffer.from(r.getPayload_asU8()).toString('utf8'),
          event: ev && ev.getEventName() ? { name: ev.getEventName(), payload: Buffer.from(ev.getPayload_asU8()).toString('utf8') } : undefined,
          writes: r.getStatus() === 200 ? tx.writes : new Map(),
          reads: tx.reads,
        });
        return;
      }
      case T.ERROR:
        this.pending.delete(txId);
        tx.reject(new Error(Buffer.from(payload).toString('utf8')));
        return;
      default:
        this.pending.delete(txId);
        tx.reject(new Error(`chaincode sent message type ${m.getType()}, which this test peer does not serve`));
    }
  }

  private send(type: (typeof T)[keyof typeof T], payload: Uint8Array, txId: string): void {
    const m = new peer.ChaincodeMessage();
    m.setType(type);
    m.setPayload(payload);
    m.setTxid(txId);
    m.setChannelId(this.channel);
    this.stream.write(m);
  }
}
