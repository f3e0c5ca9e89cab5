/**
 * Solidity ABI encoding of the Gateway's relay calls and decoding of its events, compiled once
 * per type from the hand-written fragments (abi.ts). ethers' generic coders copy every nested
 * value into its parent's writer and wrap every decoded value in a Result: for a call of 240
 * packets with their paths, and for the hundreds of logs a scan decodes, that was the larger half
 * of a relayer's CPU in bench:relay. Here a call is sized first and written into one buffer, and
 * a log is read in place. test/relayers/paths/evm/abi-codec.test.ts holds both to ethers' output.
 *
 * Supported: uint<N>, bool, bytes<N>, address, bytes, string, tuples, dynamic arrays T[]. Values:
 * integers as bigint or number, bytes as 0x-hex or Uint8Array, tuples as arrays (by position) or
 * objects (by component name). Decoded: uint as bigint, bool, bytes as lowercase 0x-hex, string,
 * address as lowercase 0x-hex, tuples and arrays as arrays.
 */
import type { EventFragment, FunctionFragment, ParamType } from 'ethers';
import type { Hex } from '../../../hub-chain/crypto/bytes.ts';
import { EvmRelayError } from './endpoint.ts';

interface Coder {
  /** Bytes of its head in a tuple: its whole encoding when static (`dynamic` false), else 32 (an offset). */
  readonly dynamic: boolean;
  readonly headSize: number;
  /** Bytes its encoding takes (static: headSize; dynamic: what the offset points at). */
  size(v: unknown): number;
  /** Writes its encoding at `at` (the buffer is zero-filled). */
  write(v: unknown, out: Buffer, at: number): void;
  /** Reads the value whose encoding starts at `at`. */
  read(d: Buffer, at: number): unknown;
}

const badArg = (what: string) => new EvmRelayError('PNT_ERR_RELAY_EVM_ABI_ENCODE', `cannot ABI-encode ${what}`, { retryable: false });
const badData = (what: string) => new EvmRelayError('PNT_ERR_RELAY_EVM_BAD_RESPONSE', `ABI data malformed: ${what}`, { retryable: true });

const words = (n: number) => Math.ceil(n / 32) * 32;

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw badArg(`${String(v)} as an integer`);
}

/**
 * Bytes a decode may still produce. Offsets may point many items at one large value, so a short
 * log could decode to gigabytes: a decode may produce at most 16 times its data (ethers bounds
 * the same inflation). Set by each decode; decoding is synchronous.
 */
let readBudget = 0;

function spend(n: number): void {
  readBudget -= n;
  if (readBudget < 0) throw badData('offsets make the data decode to far more than its size');
}

/** A word's value as an offset or length within `d` (a node's data may claim anything). */
function readIndex(d: Buffer, at: number): number {
  if (at + 32 > d.length) throw badData(`word at ${at} past the end (${d.length})`);
  for (let i = at; i < at + 26; i++) if (d[i] !== 0) throw badData(`offset or length at ${at} too large`);
  const v = d.readUIntBE(at + 26, 6);
  if (v > d.length) throw badData(`offset or length ${v} at ${at} past the end (${d.length})`);
  return v;
}

/** Hex (0x, even length) or bytes, as a Buffer view. */
function bytesOf(v: unknown, what: string): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string' && v.startsWith('0x') && v.length % 2 === 0) {
    const b = Buffer.from(v.slice(2), 'hex');
    if (b.length * 2 === v.length - 2) return b;
  }
  throw badArg(`${what}: not 0x-hex bytes`);
}

/** The length `bytesOf` will give, without decoding hex (sizing runs once per nesting level; `write` checks the hex). */
function byteLength(v: unknown): number {
  if (v instanceof Uint8Array) return v.length;
  if (typeof v === 'string' && v.startsWith('0x') && v.length % 2 === 0) return (v.length - 2) / 2;
  throw badArg('bytes: not 0x-hex bytes');
}

function uint(bits: number): Coder {
  const max = (1n << BigInt(bits)) - 1n;
  return {
    dynamic: false,
    headSize: 32,
    size: () => 32,
    write(v, out, at) {
      const n = toBig(v);
      if (n < 0n || n > max) throw badArg(`${n} as uint${bits}`);
      if (n <= 0xffffffffffffn) out.writeUIntBE(Number(n), at + 26, 6);
      else out.write(n.toString(16).padStart(64, '0'), at, 'hex');
    },
    read(d, at) {
      if (at + 32 > d.length) throw badData(`uint${bits} past the end`);
      const n = BigInt(`0x${d.toString('hex', at, at + 32)}`);
      if (n > max) throw badData(`uint${bits} out of range`);
      return n;
    },
  };
}

const uint8 = uint(8);

const bool: Coder = {
  dynamic: false,
  headSize: 32,
  size: () => 32,
  write(v, out, at) {
    if (typeof v !== 'boolean') throw badArg(`${String(v)} as bool`);
    out[at + 31] = v ? 1 : 0;
  },
  read(d, at) {
    const n = uint8.read(d, at) as bigint;
    if (n > 1n) throw badData('bool not 0 or 1');
    return n === 1n;
  },
};

function fixedBytes(len: number, right: boolean): Coder {
  return {
    dynamic: false,
    headSize: 32,
    size: () => 32,
    write(v, out, at) {
      const b = bytesOf(v, `bytes${len}`);
      if (b.length !== len) throw badArg(`${b.length} bytes as ${right ? 'an address' : `bytes${len}`}`);
      b.copy(out, right ? at + 32 - len : at);
    },
    read(d, at) {
      if (at + 32 > d.length) throw badData(`bytes${len} past the end`);
      const from = right ? at + 32 - len : at;
      return `0x${d.toString('hex', from, from + len)}`;
    },
  };
}

function dynBytes(asString: boolean): Coder {
  return {
    dynamic: true,
    headSize: 32,
    size: (v) => 32 + words(asString ? Buffer.byteLength(v as string) : byteLength(v)),
    write(v, out, at) {
      if (asString) {
        if (typeof v !== 'string') throw badArg(`${String(v)} as string`);
        const n = out.write(v, at + 32, 'utf8');
        out.writeUIntBE(n, at + 26, 6);
        return;
      }
      const b = bytesOf(v, 'bytes');
      out.writeUIntBE(b.length, at + 26, 6);
      b.copy(out, at + 32);
    },
    read(d, at) {
      const n = readIndex(d, at);
      if (at + 32 + n > d.length) throw badData(`${asString ? 'string' : 'bytes'} of ${n} past the end`);
      spend(n);
      return asString ? d.toString('utf8', at + 32, at + 32 + n) : `0x${d.toString('hex', at + 32, at + 32 + n)}`;
    },
  };
}

/** Heads then tails of `coders` with `values` (by position). */
function tupleOf(coders: readonly Coder[], names: readonly string[]): Coder {
  const dynamic = coders.some((c) => c.dynamic);
  const heads = coders.reduce((s, c) => s + c.headSize, 0);
  const valuesOf = (v: unknown): unknown[] => {
    if (Array.isArray(v)) {
      if (v.length !== coders.length) throw badArg(`a tuple of ${v.length} values for ${coders.length} components`);
      return v;
    }
    if (typeof v === 'object' && v !== null) return names.map((n) => (v as Record<string, unknown>)[n]);
    throw badArg(`${String(v)} as a tuple`);
  };
  return {
    dynamic,
    headSize: dynamic ? 32 : heads,
    size(v) {
      const vs = valuesOf(v);
      let n = heads;
      for (let i = 0; i < coders.length; i++) if (coders[i].dynamic) n += coders[i].size(vs[i]);
      return n;
    },
    write(v, out, at) {
      const vs = valuesOf(v);
      let head = at;
      let tail = at + heads;
      for (let i = 0; i < coders.length; i++) {
        const c = coders[i];
        if (c.dynamic) {
          out.writeUIntBE(tail - at, head + 26, 6);
          c.write(vs[i], out, tail);
          tail += c.size(vs[i]);
        } else c.write(vs[i], out, head);
        head += c.headSize;
      }
    },
    read(d, at) {
      const vs: unknown[] = [];
      let head = at;
      for (const c of coders) {
        vs.push(c.read(d, c.dynamic ? at + readIndex(d, head) : head));
        head += c.headSize;
      }
      return vs;
    },
  };
}

function arrayOf(item: Coder): Coder {
  return {
    dynamic: true,
    headSize: 32,
    size(v) {
      const vs = v as unknown[];
      if (!Array.isArray(vs)) throw badArg(`${String(v)} as an array`);
      let n = 32 + vs.length * item.headSize;
      if (item.dynamic) for (const x of vs) n += item.size(x);
      return n;
    },
    write(v, out, at) {
      const vs = v as unknown[];
      out.writeUIntBE(vs.length, at + 26, 6);
      const start = at + 32;
      let head = start;
      let tail = start + vs.length * item.headSize;
      for (const x of vs) {
        if (item.dynamic) {
          out.writeUIntBE(tail - start, head + 26, 6);
          item.write(x, out, tail);
          tail += item.size(x);
        } else item.write(x, out, head);
        head += item.headSize;
      }
    },
    read(d, at) {
      const n = readIndex(d, at);
      const start = at + 32;
      if (start + n * item.headSize > d.length) throw badData(`array of ${n} past the end`);
      spend(n * item.headSize);
      const vs: unknown[] = [];
      for (let i = 0, head = start; i < n; i++, head += item.headSize) vs.push(item.read(d, item.dynamic ? start + readIndex(d, head) : head));
      return vs;
    },
  };
}

function coderOf(p: ParamType): Coder {
  if (p.baseType === 'tuple') return tupleOf(p.components!.map(coderOf), p.components!.map((c) => c.name));
  if (p.baseType === 'array') {
    if (p.arrayLength !== -1) throw badArg(`fixed-size array type ${p.type}`);
    return arrayOf(coderOf(p.arrayChildren!));
  }
  if (p.type === 'bool') return bool;
  if (p.type === 'bytes') return dynBytes(false);
  if (p.type === 'string') return dynBytes(true);
  if (p.type === 'address') return fixedBytes(20, true);
  const u = /^uint(\d+)$/.exec(p.type);
  if (u) return uint(Number(u[1]));
  const b = /^bytes(\d+)$/.exec(p.type);
  if (b) return fixedBytes(Number(b[1]), false);
  throw badArg(`type ${p.type}`);
}

/** Calldata of one function: selector then its arguments, as 0x-hex. */
export function functionEncoder(f: FunctionFragment): (args: readonly unknown[]) => Hex {
  const args = tupleOf(f.inputs.map(coderOf), f.inputs.map((i) => i.name));
  const selector = Buffer.from(f.selector.slice(2), 'hex');
  return (values) => {
    const out = Buffer.alloc(4 + args.size(values));
    selector.copy(out, 0);
    args.write(values, out, 4);
    return `0x${out.toString('hex')}` as Hex;
  };
}

/**
 * A log of one event decoded by name: indexed parameters from the topics (static types only),
 * the others from the data.
 */
export function eventDecoder(e: EventFragment): (log: { topics: readonly string[]; data: string }) => Record<string, unknown> {
  const indexed = e.inputs.filter((i) => i.indexed);
  const plain = e.inputs.filter((i) => !i.indexed);
  const indexedCoders = indexed.map((i) => {
    const c = coderOf(i);
    if (c.dynamic) throw badArg(`indexed ${i.type}`);
    return c;
  });
  const body = tupleOf(plain.map(coderOf), plain.map((i) => i.name));
  return (log) => {
    if (log.topics.length !== indexed.length + 1) throw badData(`${e.name} log has ${log.topics.length} topics`);
    const out: Record<string, unknown> = {};
    indexed.forEach((p, i) => (out[p.name] = indexedCoders[i].read(Buffer.from(log.topics[i + 1].slice(2), 'hex'), 0)));
    const d = Buffer.from(log.data.slice(2), 'hex');
    if (d.length * 2 !== log.data.length - 2) throw badData(`${e.name} log data is not hex`);
    readBudget = 16 * d.length + 1024;
    const vs = body.read(d, 0) as unknown[];
    plain.forEach((p, i) => (out[p.name] = vs[i]));
    return out;
  };
}
