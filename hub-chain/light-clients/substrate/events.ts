/**
 * Decoding a block's `System.Events` (Vec<EventRecord>) without the runtime: the client's params
 * carry an event type table, the part of the runtime metadata's (V14) portable type registry that
 * the events storage value uses, and a small decoder walks it. `eventTypeTable` derives the table
 * from a node's metadata (state_getMetadata), read here directly (scale-info's layout).
 *
 * Decoded values: a composite is an object by field name (an array when its fields are unnamed),
 * a variant is `{ variant, index, value }`, sequences, arrays and tuples are arrays, integers above
 * 32 bits are bigint, `[u8; N]` and `Vec<u8>` are Bytes.
 */
import { type Bytes, type Hex, equalBytes, toHex, utf8 } from '../../crypto/bytes.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { ScaleReader } from './scale.ts';
import { blake2_256 } from './trie.ts';

export type Primitive = 'bool' | 'char' | 'str' | 'u8' | 'u16' | 'u32' | 'u64' | 'u128' | 'u256' | 'i8' | 'i16' | 'i32' | 'i64' | 'i128' | 'i256';
const PRIMITIVES: Primitive[] = ['bool', 'char', 'str', 'u8', 'u16', 'u32', 'u64', 'u128', 'u256', 'i8', 'i16', 'i32', 'i64', 'i128', 'i256'];

export interface Field {
  name?: string;
  type: number;
}

export type TypeDef =
  | { composite: Field[] }
  | { variant: { name: string; index: number; fields: Field[] }[] }
  | { sequence: number }
  | { array: { len: number; type: number } }
  | { tuple: number[] }
  | { primitive: Primitive }
  | { compact: number }
  | { bitSequence: { store: number; order: number } };

/** The types `System.Events` needs: `root` is the storage value's type (Vec<EventRecord>). */
export interface EventTypeTable {
  root: number;
  types: [number, TypeDef][];
}

const typesInvalid = (msg: string) => new SubstrateClientError(SUB_ERR.TYPES_INVALID, msg);

/** The table's hash, what operators compare when registering: blake2_256 of its JSON. */
export const eventTypeTableHash = (t: EventTypeTable): Hex => toHex(blake2_256(utf8(JSON.stringify(t))));

export type Decoded = null | boolean | number | bigint | string | Bytes | Decoded[] | { [name: string]: Decoded } | { variant: string; index: number; value: Decoded };

/** Depth bound: a recursive type (or a crafted table) cannot run the decoder without end. */
const MAX_DEPTH = 64;

export class TypeRegistry {
  private readonly defs = new Map<number, TypeDef>();
  constructor(readonly table: EventTypeTable) {
    for (const [id, def] of table.types) this.defs.set(id, def);
  }

  def(id: number): TypeDef {
    const d = this.defs.get(id);
    if (!d) throw typesInvalid(`type ${id} is not in the event type table`);
    return d;
  }

  decode(r: ScaleReader, id: number, depth = 0): Decoded {
    if (depth > MAX_DEPTH) throw typesInvalid(`types nest deeper than ${MAX_DEPTH}`);
    const d = this.def(id);
    if ('composite' in d) return this.fields(r, d.composite, depth);
    if ('variant' in d) {
      const index = r.u8();
      const v = d.variant.find((x) => x.index === index);
      if (!v) throw new SubstrateClientError(SUB_ERR.SCALE_MALFORMED, `variant index ${index} of type ${id} does not exist`);
      return { variant: v.name, index, value: this.fields(r, v.fields, depth) };
    }
    if ('sequence' in d) {
      if (this.isU8(d.sequence)) return r.vecBytes();
      return r.vec((x) => this.decode(x, d.sequence, depth + 1));
    }
    if ('array' in d) {
      if (this.isU8(d.array.type)) return r.take(d.array.len);
      return Array.from({ length: d.array.len }, () => this.decode(r, d.array.type, depth + 1));
    }
    if ('tuple' in d) return d.tuple.map((t) => this.decode(r, t, depth + 1));
    if ('primitive' in d) return primitive(r, d.primitive);
    if ('compact' in d) return r.compact();
    // A bit sequence is a compact bit count and the bits packed into the store type's words.
    const bits = r.compactNumber(r.remaining * 8);
    const storeBytes = { u8: 1, u16: 2, u32: 4, u64: 8 }[(this.def(d.bitSequence.store) as { primitive: string }).primitive ?? ''];
    if (!storeBytes) throw typesInvalid(`bit sequence store type ${d.bitSequence.store} is not u8/u16/u32/u64`);
    return r.take(Math.ceil(bits / (8 * storeBytes)) * storeBytes);
  }

  private isU8(id: number): boolean {
    const d = this.def(id);
    return 'primitive' in d && d.primitive === 'u8';
  }

  private fields(r: ScaleReader, fields: Field[], depth: number): Decoded {
    if (fields.length > 0 && fields.every((f) => f.name !== undefined)) {
      const out: { [name: string]: Decoded } = {};
      for (const f of fields) out[f.name!] = this.decode(r, f.type, depth + 1);
      return out;
    }
    // one unnamed field (a newtype) is its value; several are a tuple
    const vals = fields.map((f) => this.decode(r, f.type, depth + 1));
    return vals.length === 1 ? vals[0] : vals;
  }
}

function primitive(r: ScaleReader, p: Primitive): Decoded {
  switch (p) {
    case 'bool': {
      const b = r.u8();
      if (b > 1) throw new SubstrateClientError(SUB_ERR.SCALE_MALFORMED, `bool byte ${b}`);
      return b === 1;
    }
    case 'char':
      return String.fromCodePoint(r.u32());
    case 'str':
      return new TextDecoder('utf-8', { fatal: false }).decode(r.vecBytes());
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u32':
      return r.u32();
    default: {
      const size = Number(p.slice(1)) / 8;
      const v = r.uint(size);
      if (p[0] === 'u') return v;
      const bits = BigInt(size * 8);
      return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
    }
  }
}

/** Decodes a `System.Events` storage value with the table: the event records, in block order. */
export function decodeEvents(table: EventTypeTable, value: Bytes): Decoded[] {
  const r = new ScaleReader(value);
  const out = new TypeRegistry(table).decode(r, table.root);
  r.end('System.Events');
  if (!Array.isArray(out)) throw typesInvalid(`type ${table.root} is not a sequence of event records`);
  return out;
}

/** The fields of an event record `System.Remarked { sender, hash }` in phase ApplyExtrinsic, or null for any other record. */
export function remarkedOf(record: Decoded): { extrinsic: number; sender: Bytes; hash: Bytes } | null {
  const rec = record as { phase?: Decoded; event?: Decoded };
  const phase = rec?.phase as { variant?: string; value?: Decoded } | undefined;
  const event = rec?.event as { variant?: string; value?: Decoded } | undefined;
  if (phase?.variant !== 'ApplyExtrinsic' || event?.variant !== 'System') return null;
  const inner = event.value as { variant?: string; value?: { sender?: Decoded; hash?: Decoded } };
  if (inner?.variant !== 'Remarked') return null;
  const { sender, hash } = inner.value ?? {};
  if (!(sender instanceof Uint8Array) || sender.length !== 32 || !(hash instanceof Uint8Array) || hash.length !== 32) return null;
  return { extrinsic: Number(phase.value), sender, hash };
}

// ---- deriving the table from runtime metadata V14 ----

const META_MAGIC = utf8('meta');

const readString = (r: ScaleReader): string => new TextDecoder().decode(r.vecBytes());
const skipStrings = (r: ScaleReader): void => void r.vec(readString);
const readField = (r: ScaleReader): Field => {
  const name = r.option(readString);
  const type = r.compactNumber(0xffffffff);
  r.option(readString); // the Rust type name
  skipStrings(r); // docs
  return name === null ? { type } : { name, type };
};

function readTypeDef(r: ScaleReader): TypeDef {
  switch (r.enumTag(8)) {
    case 0:
      return { composite: r.vec(readField) };
    case 1:
      return {
        variant: r.vec((x) => {
          const name = readString(x);
          const fields = x.vec(readField);
          const index = x.u8();
          skipStrings(x);
          return { name, index, fields };
        }),
      };
    case 2:
      return { sequence: r.compactNumber(0xffffffff) };
    case 3: {
      const len = r.u32();
      return { array: { len, type: r.compactNumber(0xffffffff) } };
    }
    case 4:
      return { tuple: r.vec((x) => x.compactNumber(0xffffffff)) };
    case 5:
      return { primitive: PRIMITIVES[r.enumTag(PRIMITIVES.length)] };
    case 6:
      return { compact: r.compactNumber(0xffffffff) };
    default: {
      const store = r.compactNumber(0xffffffff);
      return { bitSequence: { store, order: r.compactNumber(0xffffffff) } };
    }
  }
}

/** The portable registry of metadata V14 and the type id of `System.Events`. */
export function readMetadataV14(metadata: Bytes): { types: Map<number, TypeDef>; eventsType: number } {
  const r = new ScaleReader(metadata);
  if (!equalBytes(r.take(4), META_MAGIC)) throw typesInvalid('not runtime metadata (no "meta" magic)');
  const version = r.u8();
  if (version !== 14) throw typesInvalid(`metadata V${version}, V14 expected`);
  const types = new Map<number, TypeDef>();
  r.vec((x) => {
    const id = x.compactNumber(0xffffffff);
    skipStrings(x); // path
    x.vec((y) => {
      readString(y);
      y.option((z) => z.compactNumber(0xffffffff));
    }); // generic params
    types.set(id, readTypeDef(x));
    skipStrings(x); // docs
  });
  // Pallets, until System's storage names Events.
  const pallets = r.compactNumber(r.remaining);
  for (let p = 0; p < pallets; p++) {
    const name = readString(r);
    let events: number | undefined;
    r.option((x) => {
      readString(x); // prefix
      x.vec((y) => {
        const item = readString(y);
        y.u8(); // modifier
        let type: number;
        if (y.enumTag(2) === 0) type = y.compactNumber(0xffffffff);
        else {
          y.vec((z) => z.u8()); // hashers
          y.compactNumber(0xffffffff); // key
          type = y.compactNumber(0xffffffff);
        }
        y.vecBytes(); // default
        skipStrings(y);
        if (item === 'Events') events = type;
      });
    });
    if (name === 'System') {
      if (events === undefined) throw typesInvalid('the System pallet has no Events storage');
      return { types, eventsType: events };
    }
    r.option((x) => x.compactNumber(0xffffffff)); // calls
    r.option((x) => x.compactNumber(0xffffffff)); // event
    r.vec((x) => {
      readString(x);
      x.compactNumber(0xffffffff);
      x.vecBytes();
      skipStrings(x);
    }); // constants
    r.option((x) => x.compactNumber(0xffffffff)); // error
    r.u8(); // index
  }
  throw typesInvalid('the metadata has no System pallet');
}

/** The event type table of a runtime: the types reachable from `System.Events`, sorted by id. */
export function eventTypeTable(metadata: Bytes): EventTypeTable {
  const { types, eventsType } = readMetadataV14(metadata);
  const keep = new Map<number, TypeDef>();
  const visit = (id: number): void => {
    if (keep.has(id)) return;
    const d = types.get(id);
    if (!d) throw typesInvalid(`metadata type ${id} is referenced but not defined`);
    keep.set(id, d);
    for (const c of children(d)) visit(c);
  };
  visit(eventsType);
  return { root: eventsType, types: [...keep.entries()].sort((a, b) => a[0] - b[0]) };
}

function children(d: TypeDef): number[] {
  if ('composite' in d) return d.composite.map((f) => f.type);
  if ('variant' in d) return d.variant.flatMap((v) => v.fields.map((f) => f.type));
  if ('sequence' in d) return [d.sequence];
  if ('array' in d) return [d.array.type];
  if ('tuple' in d) return d.tuple;
  if ('compact' in d) return [d.compact];
  if ('bitSequence' in d) return [d.bitSequence.store, d.bitSequence.order];
  return [];
}
