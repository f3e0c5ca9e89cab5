/** Flows run at once, their output in order (the devnet's sample flows). */

export type Say = (line: string) => void;

/**
 * Runs `flows` at once and prints their lines in order: the first prints as it goes; each later
 * one holds its lines until every flow before it has finished, then prints them and goes on live.
 * When one fails, every held line is printed before the error goes up.
 */
export async function inOrder(out: Say, flows: ((say: Say) => Promise<unknown>)[]): Promise<void> {
  const held: string[][] = flows.map(() => []);
  const done = flows.map(() => false);
  let live = 0;
  const sayOf = (i: number): Say => (line) => (i <= live ? out(line) : void held[i].push(line));
  const finished = (i: number) => {
    done[i] = true;
    while (live < flows.length && done[live]) {
      live++;
      for (const line of held[live] ?? []) out(line);
      if (live < flows.length) held[live] = [];
    }
  };
  try {
    await Promise.all(flows.map((f, i) => f(sayOf(i)).then(() => finished(i))));
  } catch (e) {
    for (const lines of held.splice(0)) lines.forEach((l) => out(l));
    throw e;
  }
}
