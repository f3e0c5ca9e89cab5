/** The devnet's flows run at once with their output in order (devnet/devnet.ts inOrder). */
import { expect, it } from 'vitest';
import { inOrder } from '../../devnet/in-order.ts';

function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { open, wait };
}

it('behavior: a later flow\'s lines wait for the flows before it; the first prints live; lines after a flow ended still print', async () => {
  const out: string[] = [];
  const [a, b, c] = [gate(), gate(), gate()];
  let lateSay: ((l: string) => void) | undefined;
  const run = inOrder((l) => out.push(l), [
    async (say) => {
      say('a1');
      await a.wait;
      say('a2');
      lateSay = say;
    },
    async (say) => {
      say('b1');
      await b.wait;
      say('b2');
    },
    async (say) => {
      say('c1');
      c.open();
    },
  ]);
  await c.wait;
  expect(out).toEqual(['a1']); // b and c hold theirs
  b.open();
  await new Promise((r) => setTimeout(r, 0));
  expect(out).toEqual(['a1']); // b finished, but a has not
  a.open();
  await run;
  expect(out).toEqual(['a1', 'a2', 'b1', 'b2', 'c1']);
  lateSay!('a3'); // a relaying loop of a finished flow still prints
  expect(out.at(-1)).toBe('a3');
});

it('error: when a flow fails, the held lines of every flow are printed and the error goes up', async () => {
  const out: string[] = [];
  const never = new Promise<void>(() => {});
  const run = inOrder((l) => out.push(l), [
    async (say) => {
      say('a1');
      await never;
    },
    async (say) => {
      say('b1');
      throw new Error('b failed');
    },
  ]);
  await expect(run).rejects.toThrow('b failed');
  expect(out).toEqual(['a1', 'b1']);
});
