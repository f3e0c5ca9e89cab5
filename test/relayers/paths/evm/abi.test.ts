/**
 * The relayer's hand-written Gateway and PontisClient ABI fragments (relayers/paths/evm/abi.ts)
 * against the ABI solc produces for the contracts: every fragment must be an entry of the
 * contract's ABI with the same kind, name, parameter types (tuples included, with their
 * component names), indexed flags, outputs and mutability, and the same parameter names where
 * the fragment names them (the relayer reads event arguments by name). Custom errors may come
 * from any contract the Gateway calls (PontisClient, SmtProof), so they are matched against all.
 */
import { type Fragment, Interface, type ParamType } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ContractArtifact, buildContracts } from '../../../../contracts/evm/build.ts';
import { GATEWAY_RELAY_ABI, PONTIS_CLIENT_RELAY_ABI } from '../../../../relayers/paths/evm/abi.ts';

let artifacts: Record<string, ContractArtifact>;
beforeAll(() => {
  artifacts = buildContracts();
}, 120_000);

/** A parameter as the contract must have it: its full form, without its own name when the hand-written one gives none. */
function param(hand: ParamType, built: ParamType): [string, string] {
  const full = built.format('full');
  return [hand.format('full'), hand.name ? full : full.replace(new RegExp(` ${built.name}$`), '')];
}

/** Why `hand` is not `built` (null when it is). */
function mismatch(hand: Fragment, built: Fragment): string | null {
  if (hand.type !== built.type) return `kind ${hand.type} vs ${built.type}`;
  const h = hand as Fragment & { name?: string; outputs?: readonly ParamType[]; stateMutability?: string };
  const b = built as typeof h;
  if (h.name !== b.name) return `name ${h.name} vs ${b.name}`;
  const lists: [string, readonly ParamType[], readonly ParamType[]][] = [['input', hand.inputs, built.inputs]];
  if (h.outputs || b.outputs) lists.push(['output', h.outputs ?? [], b.outputs ?? []]);
  for (const [what, hs, bs] of lists) {
    if (hs.length !== bs.length) return `${what}s ${hs.length} vs ${bs.length}`;
    for (let i = 0; i < hs.length; i++) {
      const [x, y] = param(hs[i], bs[i]);
      if (x !== y) return `${what} ${i}: ${x} vs ${y}`;
    }
  }
  if (h.stateMutability !== b.stateMutability) return `mutability ${h.stateMutability} vs ${b.stateMutability}`;
  return null;
}

/** Entries of `abis` with the fragment's kind and name, and whether one of them matches it exactly. */
function check(fragment: string, abis: readonly (readonly Record<string, unknown>[])[]): { candidates: number; problems: string[] } {
  const hand = new Interface([fragment]).fragments[0];
  const built = abis.flatMap((abi) => new Interface(abi as never).fragments).filter((f) => f.type === hand.type && (f as { name?: string }).name === (hand as { name?: string }).name);
  const problems = built.map((b) => mismatch(hand, b));
  return { candidates: built.length, problems: problems.includes(null) ? [] : (problems as string[]) };
}

const abiOf = (name: string) => {
  const a = artifacts[name];
  if (!a) throw new Error(`no artifact ${name}`);
  return a.abi;
};

describe('relayer ABI fragments', () => {
  const cases = [
    ...GATEWAY_RELAY_ABI.map((f) => ({ contract: 'Gateway', fragment: f })),
    ...PONTIS_CLIENT_RELAY_ABI.map((f) => ({ contract: 'PontisClient', fragment: f })),
  ];
  for (const c of cases) {
    it(`behavior: ${c.contract}: ${c.fragment.slice(0, 80)} matches the compiled ABI`, () => {
      const errorAbis = () => Object.values(artifacts).map((a) => a.abi);
      const r = check(c.fragment, c.fragment.startsWith('error ') ? errorAbis() : [abiOf(c.contract)]);
      expect(r.candidates, 'no entry of that kind and name').toBeGreaterThan(0);
      expect(r.problems).toEqual([]);
    });
  }

  // the checker itself tells a wrong fragment from a right one
  const malleated = [
    { name: 'a parameter type changed', fragment: GATEWAY_RELAY_ABI[5].replace('uint64 proofHeight', 'uint32 proofHeight'), contract: 'Gateway' },
    { name: 'an indexed flag dropped', fragment: GATEWAY_RELAY_ABI[3].replace('uint64 indexed sequence', 'uint64 sequence'), contract: 'Gateway' },
    { name: 'a tuple component renamed', fragment: GATEWAY_RELAY_ABI[0].replace('bool ordered', 'bool isOrdered'), contract: 'Gateway' },
    { name: 'an output type changed', fragment: PONTIS_CLIENT_RELAY_ABI[0].replace('returns (uint64)', 'returns (uint256)'), contract: 'PontisClient' },
  ];
  for (const m of malleated) {
    it(`error: a fragment with ${m.name} does not match`, () => {
      const r = check(m.fragment, [abiOf(m.contract)]);
      expect(r.candidates).toBeGreaterThan(0);
      expect(r.problems.length).toBeGreaterThan(0);
    });
  }
});
