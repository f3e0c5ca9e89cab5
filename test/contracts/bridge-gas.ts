/**
 * Gas of the TokenBridge paths on a real anvil, for the lead's bench: what a user pays to lock or
 * burn (sendToken / sendNative), and what a relayer pays to deliver a mint or an unlock
 * (Gateway.recvPackets with one packet: the hub state proof and the app callback included; the
 * test hub's state is small, so its proofs are short; test/contracts/gas.ts prices a depth-20
 * proof). Figures are transaction gasUsed (21000 and calldata included) of a typical transfer:
 * first uses of a channel and of escrow slots are warmed up first, except recvMintFirst.
 * measureBridgeGas() starts its own anvil and world unless given one.
 */
import { BridgeWorld } from './bridge-fixture.ts';

export interface BridgeGasReport {
  /** sendToken of a plain ERC-20 (transferFrom, escrow, packet commitment). */
  lock: number;
  /** sendNative. */
  lockNative: number;
  /** recvPackets delivering the first transfer of a denom: creates its WrappedToken clone, then mints. */
  recvMintFirst: number;
  /** recvPackets delivering a later transfer of the same denom (mint only). */
  recvMint: number;
  /** sendToken of a WrappedToken back toward its origin (burn). */
  burn: number;
  /** recvPackets delivering a return on the origin chain (release from escrow, ERC-20 transfer). */
  recvUnlock: number;
  /** acknowledge with an error ack: the refund of a lock. */
  ackRefund: number;
}

export async function measureBridgeGas(existing?: BridgeWorld): Promise<BridgeGasReport> {
  const w = existing ?? (await BridgeWorld.start('evm-bridge-gas'));
  try {
    const user = (await w.anvil.signer.getAddress()).toLowerCase();
    const token = await w.deployTest('TestToken', 'gas');
    const t = await token.getAddress();
    await (await token.mint(user, 10n ** 24n)).wait();
    await (await token.approve(await w.a.bridge.getAddress(), 10n ** 30n)).wait();
    // first uses (channel sequence, escrow and rate-limit slots) are warmed up: the figures are a typical transfer's
    const first = await w.sent(w.a.bridge.sendToken(t, 1000n, 'evm-b', user, 0, ''));
    await w.mined(w.a.bridge.sendNative('evm-b', user, 0, '', { value: 1000n }));
    const lockTx = await w.mined(w.a.bridge.sendToken(t, 1000n, 'evm-b', user, 0, ''));
    const nativeTx = await w.mined(w.a.bridge.sendNative('evm-b', user, 0, '', { value: 1000n }));
    const second = await w.sent(w.a.bridge.sendToken(t, 1000n, 'evm-b', user, 0, ''));
    const refused = await w.sent(w.a.bridge.sendToken(t, 1000n, 'evm-b', user, 0, ''));
    const mintFirst = await w.deliver(first);
    const mint = await w.deliver(second);
    const wrapped = (await w.b.bridge.wrappedToken(`t/evm-a/erc20/${t.toLowerCase()}`)) as string;
    const warmBack = await w.sent(w.b.bridge.sendToken(wrapped, 100n, 'evm-a', user, 0, ''));
    await w.deliver(warmBack);
    const burnTx = await w.mined(w.b.bridge.sendToken(wrapped, 500n, 'evm-a', user, 0, ''));
    const back = await w.sent(w.b.bridge.sendToken(wrapped, 500n, 'evm-a', user, 0, ''));
    const unlock = await w.deliver(back);
    const refundLogs = await measureAck(w, refused);
    return {
      lock: Number(lockTx.gasUsed),
      lockNative: Number(nativeTx.gasUsed),
      recvMintFirst: Number(mintFirst.gasUsed),
      recvMint: Number(mint.gasUsed),
      burn: Number(burnTx.gasUsed),
      recvUnlock: Number(unlock.gasUsed),
      ackRefund: refundLogs,
    };
  } finally {
    if (!existing) await w.stop();
  }
}

/** The fixture's acknowledge waits for its receipt: the refund is the latest block's last transaction (anvil automines one per block). */
async function measureAck(w: BridgeWorld, packet: Awaited<ReturnType<BridgeWorld['sent']>>): Promise<number> {
  await w.hubRefuses(packet);
  const block = await w.anvil.provider.getBlock('latest');
  const rcpt = await w.anvil.provider.getTransactionReceipt(block!.transactions[block!.transactions.length - 1]);
  return Number(rcpt!.gasUsed);
}

export function formatBridgeGas(g: BridgeGasReport): string {
  return [
    `TokenBridge lock (sendToken ERC-20)        gas=${g.lock}`,
    `TokenBridge lock (sendNative)              gas=${g.lockNative}`,
    `TokenBridge burn (sendToken voucher)       gas=${g.burn}`,
    `recvPackets mint, first of a denom (clone) gas=${g.recvMintFirst}`,
    `recvPackets mint                           gas=${g.recvMint}`,
    `recvPackets unlock (ERC-20 release)        gas=${g.recvUnlock}`,
    `acknowledge error ack (refund of a lock)   gas=${g.ackRefund}`,
  ].join('\n');
}
