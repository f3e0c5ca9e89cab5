/**
 * The devnet's EVM application flows, shared with the end-to-end tests
 * (test/e2e/evm-bridge.test.ts): each performs its steps on two EVM chains connected through the
 * hub, waits for every delivery by polling chain state (never relaying itself: the caller keeps
 * relayers running), prints each step with its transaction hash and where things stand, and
 * returns what it saw for callers to check.
 *
 *  - `runTokenRoundTrip`: SampleToken on chain A -> TokenBridge A (locked) -> hub -> TokenBridge B
 *    (wrapped token minted) and back (burned on B, released on A); supply is conserved at each step.
 *  - `runAttestation`: AttestationIssuer on A -> hub -> AttestationVerifier on B, whose
 *    `isValid(subject)` then answers true; optionally a revocation after it makes it false.
 *
 * Contracts come from deploy.ts (`tokenBridge`, `sampleToken`, `attestationIssuer`,
 * `attestationVerifier` options).
 */
import { AbiCoder, Contract, type Provider, type Signer, keccak256 as ethKeccak, formatUnits, toUtf8Bytes } from 'ethers';
import { type ContractArtifact, buildContracts } from '../contracts/evm/build.ts';
import { DEFAULT_ISSUER_APP, type DeployPontisOptions, type PontisEvmDeployment } from '../contracts/evm/deploy.ts';
import { packetFromSolidity } from '../contracts/evm/encode.ts';
import type { HubClient, PacketQuery } from '../hub-chain/rpc-client/client.ts';
import { fromHex, toHex } from '../hub-chain/crypto/bytes.ts';
import { PontisError } from '../hub-chain/errors.ts';
import { type Packet, channelId, packetId, packetKeys } from '../hub-chain/modules/packets/types.ts';
import { policyKeys } from '../hub-chain/modules/transfer/policy.ts';

export class EvmFlowError extends PontisError {
  override name = 'EvmFlowError';
}

export interface EvmFlowChain {
  /** Pontis chain id (the Gateway's chainId). */
  chainId: string;
  provider: Provider;
  /** The user on this chain: sends and receives the tokens, owns the AttestationIssuer. */
  signer: Signer;
  deployed: PontisEvmDeployment;
}

export interface EvmFlowContext {
  hubChainId: string;
  hub: HubClient;
  /** Where the token and the issuer live. */
  a: EvmFlowChain;
  /** Where the wrapped token and the verifier live. */
  b: EvmFlowChain;
  /** Compiled contracts (ABIs); default build.ts's output. */
  artifacts?: Record<string, ContractArtifact>;
  /** How long each wait for a delivery may take (ms, default 120 s). */
  waitMs?: number;
  pollMs?: number;
}

import type { Say } from './in-order.ts';
export type { Say };

/** One leg of a token transfer as seen after it completed. */
export interface TransferLeg {
  packet: Packet;
  packetId: string;
  txHash: string;
  /** Hub steps (received, forwarded, delivered...) with their heights and tx hashes. */
  hubSteps: { step: string; height: number; tx: string }[];
}

/** Where the token stands: escrow on A for B, wrapped supply on B, the hub's outstanding, the user's balances. */
export interface TokenPosition {
  escrowedOnA: bigint;
  wrappedSupplyOnB: bigint;
  hubOutstanding: bigint;
  userOnA: bigint;
  receiverOnB: bigint;
}

export interface TokenRoundTripReport {
  token: string;
  /** The token's denom in transfer payloads from A, and the voucher B mints for it. */
  denom: string;
  voucher: string;
  wrappedToken: string;
  amount: bigint;
  start: TokenPosition;
  outbound: TransferLeg;
  afterOutbound: TokenPosition;
  back: TransferLeg;
  afterReturn: TokenPosition;
}

export interface AttestationReport {
  subject: string;
  issuer: string;
  kind: string;
  expiresAtMs: number;
  issued: TransferLeg;
  validAfterIssue: boolean;
  revoked?: TransferLeg;
  validAfterRevoke?: boolean;
}

/** The deploy.ts app options the flows need: chain A (`aChainId`) holds the token and the issuer, chain B the verifier trusting A's issuer; both a TokenBridge. */
export function evmFlowApps(aChainId: string, o: { initialSupply?: bigint; moreIssuers?: { chain: string; app: string }[] } = {}): Record<'a' | 'b', Pick<DeployPontisOptions, 'tokenBridge' | 'sampleToken' | 'attestationIssuer' | 'attestationVerifier'>> {
  return {
    a: { tokenBridge: true, sampleToken: { initialSupply: o.initialSupply ?? 1_000_000n * 10n ** 18n }, attestationIssuer: true },
    b: { tokenBridge: true, attestationVerifier: { issuers: [{ chain: aChainId, app: DEFAULT_ISSUER_APP }, ...(o.moreIssuers ?? [])] } },
  };
}

const DEFAULT_WAIT_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 600_000;
const ZERO_WORD = `0x${'0'.repeat(64)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Contracts of the flows, bound to the chains' signers. */
function contracts(ctx: EvmFlowContext) {
  const artifacts = ctx.artifacts ?? buildContracts();
  const need = <T>(v: T | undefined, what: string, chain: EvmFlowChain): T => {
    if (v === undefined) throw new EvmFlowError('PNT_ERR_EVM_FLOW_NOT_DEPLOYED', `${what} is not deployed on ${chain.chainId} (deploy.ts option)`, { details: { chainId: chain.chainId } });
    return v;
  };
  const at = (name: string, address: string, chain: EvmFlowChain) => new Contract(address, artifacts[name].abi as never, chain.signer);
  return {
    artifacts,
    at,
    gateway: (c: EvmFlowChain) => at('Gateway', c.deployed.gateway.address, c),
    bridge: (c: EvmFlowChain) => at('TokenBridge', need(c.deployed.tokenBridge, 'TokenBridge', c).address, c),
    token: (c: EvmFlowChain) => at('SampleToken', need(c.deployed.sampleToken, 'SampleToken', c).address, c),
    issuer: (c: EvmFlowChain) => ({ contract: at('AttestationIssuer', need(c.deployed.attestationIssuer, 'AttestationIssuer', c).address, c), app: c.deployed.attestationIssuer!.app }),
    verifier: (c: EvmFlowChain) => ({ contract: at('AttestationVerifier', need(c.deployed.attestationVerifier, 'AttestationVerifier', c).address, c), app: c.deployed.attestationVerifier!.app }),
  };
}

async function hubPacket(ctx: EvmFlowContext, p: Packet): Promise<PacketQuery | undefined> {
  try {
    return await ctx.hub.packet(packetId(p));
  } catch (e) {
    if (e instanceof PontisError && e.code === 'PNT_ERR_PACKET_NOT_FOUND') return undefined;
    throw e;
  }
}

/**
 * Polls `f` until it answers; meanwhile a packet the hub refused, timed out or saw refused by
 * its destination (an error ack) ends the wait with PNT_ERR_EVM_FLOW_REFUSED.
 */
async function waitFor<T>(ctx: EvmFlowContext, what: string, packet: Packet, f: () => Promise<T | undefined>): Promise<T> {
  const waitMs = ctx.waitMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    const q = await hubPacket(ctx, packet);
    const st = q?.status;
    if (st && (st.state === 'failed' || st.state === 'timed-out' || (st.ack && !st.ack.ok))) {
      const error = st.ack && !st.ack.ok ? st.ack.error : st.state;
      throw new EvmFlowError('PNT_ERR_EVM_FLOW_REFUSED', `packet ${packetId(packet)} failed (${error}) while waiting for ${what}`, { details: { packetId: packetId(packet), state: st.state, error } });
    }
    if (Date.now() > deadline) {
      throw new EvmFlowError('PNT_ERR_EVM_FLOW_TIMEOUT', `timed out after ${Math.round(waitMs / 1000)} s waiting for ${what} (packet ${packetId(packet)}, hub: ${st?.state ?? 'not received yet'}); are relayers running?`, {
        retryable: true,
        details: { packetId: packetId(packet), hubState: st?.state ?? null },
      });
    }
    await sleep(ctx.pollMs ?? 250);
  }
}

/** Sends `tx` and returns its hash and the packet its Gateway emitted. */
async function sendPacket(gateway: Contract, txp: Promise<{ hash: string; wait: () => Promise<unknown> }>, what: string): Promise<{ packet: Packet; txHash: string; block: number }> {
  let tx: { hash: string; wait: () => Promise<unknown> };
  let rcpt: { status: number; blockNumber: number; logs: readonly never[] } | null;
  try {
    tx = await txp;
    rcpt = (await tx.wait()) as typeof rcpt;
  } catch (e) {
    throw new EvmFlowError('PNT_ERR_EVM_FLOW_TX_FAILED', `${what}: ${(e as Error).message}`, { cause: e });
  }
  const ev = rcpt?.logs.map((l) => gateway.interface.parseLog(l)).find((d) => d?.name === 'PacketSent');
  if (!rcpt || rcpt.status !== 1 || !ev) throw new EvmFlowError('PNT_ERR_EVM_FLOW_TX_FAILED', `${what}: no packet sent (tx ${tx.hash})`, { details: { txHash: tx.hash } });
  return { packet: packetFromSolidity(ev.args.packet), txHash: tx.hash, block: rcpt.blockNumber };
}

async function mined(txp: Promise<{ hash: string; wait: () => Promise<unknown> }>, what: string): Promise<string> {
  try {
    const tx = await txp;
    await tx.wait();
    return tx.hash;
  } catch (e) {
    throw new EvmFlowError('PNT_ERR_EVM_FLOW_TX_FAILED', `${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** A packet timeout ten minutes after the later of the chain's and this machine's clock. */
async function timeoutFor(c: EvmFlowChain): Promise<number> {
  const latest = await c.provider.getBlock('latest');
  return Math.max((latest?.timestamp ?? 0) * 1000, Date.now()) + DEFAULT_TIMEOUT_MS;
}

/** Waits until the source Gateway's commitment of `p` is gone: the destination's ack came back through the hub. */
async function waitAcknowledged(ctx: EvmFlowContext, gateway: Contract, p: Packet, src: string): Promise<void> {
  const key = ethKeccak(packetKeys.outbound(channelId(p), p.sequence));
  await waitFor(ctx, `the acknowledgement of ${packetId(p)} on ${src}`, p, async () => ((await gateway.pontisStore(key)) === ZERO_WORD ? true : undefined));
}

async function hubSteps(ctx: EvmFlowContext, p: Packet): Promise<TransferLeg['hubSteps']> {
  const q = await hubPacket(ctx, p);
  return (q?.status.steps ?? []).map((s) => ({ step: s.step, height: s.height, tx: s.tx }));
}

const stepsText = (steps: TransferLeg['hubSteps']) => steps.map((s) => `${s.step} at height ${s.height} (tx ${s.tx})`).join(', ');

/**
 * Sends `amount` of A's SampleToken to the signer of B through the hub and back: locked on A,
 * minted as a wrapped token on B, then burned on B and released on A. Waits for each delivery and
 * its acknowledgement; throws PNT_ERR_EVM_FLOW_SUPPLY if B ever holds more wrapped supply than A
 * escrowed for it.
 */
export async function runTokenRoundTrip(ctx: EvmFlowContext, say: Say, o: { amount?: bigint } = {}): Promise<TokenRoundTripReport> {
  const k = contracts(ctx);
  const { a, b } = ctx;
  const amount = o.amount ?? 1_000n * 10n ** 18n;
  const bridgeA = k.bridge(a);
  const bridgeB = k.bridge(b);
  const token = k.token(a);
  const gatewayA = k.gateway(a);
  const gatewayB = k.gateway(b);
  const tokenAddr = a.deployed.sampleToken!.address;
  const user = await a.signer.getAddress();
  const receiver = await b.signer.getAddress();
  const symbol = (await token.symbol()) as string;
  const decimals = Number(await token.decimals());
  // whole units for reading; the wrapped token carries the same base units
  const fmt = (v: bigint) => formatUnits(v, decimals).replace(/\.0$/, '');
  const denom = (await bridgeA.denomOf(tokenAddr)) as string;
  const voucher = `t/${a.chainId}/${denom}`;
  const wrappedAddr = (await bridgeB.predictWrapped(voucher)) as string;
  const wrapped = k.at('WrappedToken', wrappedAddr, b);

  const position = async (): Promise<TokenPosition> => {
    const exists = (await b.provider.getCode(wrappedAddr)) !== '0x';
    const out = await ctx.hub.state({ hex: toHex(policyKeys.outstanding(a.chainId, b.chainId, denom)) });
    const p: TokenPosition = {
      escrowedOnA: (await bridgeA.escrowed(b.chainId, tokenAddr)) as bigint,
      wrappedSupplyOnB: exists ? ((await wrapped.totalSupply()) as bigint) : 0n,
      hubOutstanding: out.value ? BigInt(Buffer.from(fromHex(out.value)).toString('utf8')) : 0n,
      userOnA: (await token.balanceOf(user)) as bigint,
      receiverOnB: exists ? ((await wrapped.balanceOf(receiver)) as bigint) : 0n,
    };
    // minted on the destination never exceeds locked on the source
    if (p.wrappedSupplyOnB > p.escrowedOnA) throw new EvmFlowError('PNT_ERR_EVM_FLOW_SUPPLY', `${b.chainId} holds ${p.wrappedSupplyOnB} ${voucher} but ${a.chainId} escrowed only ${p.escrowedOnA}`, { details: { ...p, voucher } as never });
    return p;
  };
  const show = (p: TokenPosition) =>
    `${a.chainId} escrow for ${b.chainId} ${fmt(p.escrowedOnA)}, ${b.chainId} wrapped supply ${fmt(p.wrappedSupplyOnB)}, hub outstanding ${a.chainId}->${b.chainId} ${fmt(p.hubOutstanding)}; user ${fmt(p.userOnA)} ${symbol} on ${a.chainId}, ${fmt(p.receiverOnB)} wrapped on ${b.chainId}`;

  const start = await position();
  if (start.userOnA < amount) throw new EvmFlowError('PNT_ERR_EVM_FLOW_BALANCE', `${user} holds ${start.userOnA} ${symbol} on ${a.chainId}, less than ${fmt(amount)}`, { details: { user, balance: start.userOnA.toString(), amount: amount.toString() } });
  say(`token transfer: ${fmt(amount)} ${symbol} (${amount} base units of ${denom}) from ${user} on ${a.chainId} to ${receiver} on ${b.chainId} and back`);
  say(`  start: ${show(start)}`);

  // outbound: approve, lock on A
  const approveTx = await mined(token.approve(bridgeA.target, amount), `approving TokenBridge on ${a.chainId}`);
  say(`  ${a.chainId}: approved TokenBridge ${bridgeA.target} for ${fmt(amount)} ${symbol} (tx ${approveTx})`);
  const out = await sendPacket(gatewayA, bridgeA.sendToken(tokenAddr, amount, b.chainId, receiver, await timeoutFor(a), ''), `sendToken on ${a.chainId}`);
  say(`  ${a.chainId}: TokenBridge locked ${fmt(amount)} ${symbol} and sent packet ${packetId(out.packet)} (tx ${out.txHash}, block ${out.block})`);
  await waitFor(ctx, `${voucher} minted to ${receiver} on ${b.chainId}`, out.packet, async () => ((await position()).receiverOnB >= start.receiverOnB + amount ? true : undefined));
  const afterMint = await position();
  say(`  hub ${ctx.hubChainId}: ${stepsText(await hubSteps(ctx, out.packet))}`);
  say(`  ${b.chainId}: TokenBridge minted ${fmt(amount)} ${voucher} as WrappedToken ${wrappedAddr}; ${show(afterMint)}`);
  await waitAcknowledged(ctx, gatewayA, out.packet, a.chainId);
  const outbound: TransferLeg = { packet: out.packet, packetId: packetId(out.packet), txHash: out.txHash, hubSteps: await hubSteps(ctx, out.packet) };
  const afterOutbound = await position();
  say(`  ${a.chainId}: the Gateway verified ${b.chainId}'s ack through the hub (hub: ${stepsText(outbound.hubSteps)}); outbound leg done`);

  // return: burn on B, release on A
  const back = await sendPacket(gatewayB, bridgeB.sendToken(wrappedAddr, amount, a.chainId, user, await timeoutFor(b), ''), `sendToken (return) on ${b.chainId}`);
  say(`  ${b.chainId}: TokenBridge burned ${fmt(amount)} ${voucher} and sent packet ${packetId(back.packet)} (tx ${back.txHash}, block ${back.block})`);
  await waitFor(ctx, `${fmt(amount)} ${symbol} released to ${user} on ${a.chainId}`, back.packet, async () => ((await token.balanceOf(user)) >= afterOutbound.userOnA + amount ? true : undefined));
  const afterRelease = await position();
  say(`  hub ${ctx.hubChainId}: ${stepsText(await hubSteps(ctx, back.packet))}`);
  say(`  ${a.chainId}: TokenBridge released ${fmt(amount)} ${symbol} from escrow; ${show(afterRelease)}`);
  await waitAcknowledged(ctx, gatewayB, back.packet, b.chainId);
  const backLeg: TransferLeg = { packet: back.packet, packetId: packetId(back.packet), txHash: back.txHash, hubSteps: await hubSteps(ctx, back.packet) };
  const afterReturn = await position();
  say(`  ${b.chainId}: the Gateway verified ${a.chainId}'s ack through the hub (hub: ${stepsText(backLeg.hubSteps)})`);
  say(`  round trip done: ${show(afterReturn)}`);
  return { token: tokenAddr, denom, voucher, wrappedToken: wrappedAddr, amount, start, outbound, afterOutbound, back: backLeg, afterReturn };
}

/** `subject` as bytes32: itself when it is 0x + 64 hex digits, else keccak256 of its UTF-8. */
export const subjectId = (subject: string): string => (/^0x[0-9a-fA-F]{64}$/.test(subject) ? subject.toLowerCase() : ethKeccak(toUtf8Bytes(subject)));

/**
 * The owner of A's AttestationIssuer attests `subject` to B's AttestationVerifier through the
 * hub, waits until `isValid(subject)` answers true on B (and for the ack on A); with `revoke`,
 * then revokes it and waits until `isValid` answers false.
 */
export async function runAttestation(
  ctx: EvmFlowContext,
  say: Say,
  o: { subject?: string; issuer?: string; kind?: string; validForMs?: number; revoke?: boolean } = {},
): Promise<AttestationReport> {
  const k = contracts(ctx);
  const { a, b } = ctx;
  const { contract: issuerC, app: issuerApp } = k.issuer(a);
  const { contract: verifier, app: verifierApp } = k.verifier(b);
  const gatewayA = k.gateway(a);
  const subjectText = o.subject ?? 'records-office/citizen-42';
  const subject = subjectId(subjectText);
  const issuer = o.issuer ?? 'registry-office';
  const kindText = o.kind ?? 'kyc';
  const kind = subjectId(kindText);
  const trusted = (await verifier.trustedSource(ethKeccak(AbiCoder.defaultAbiCoder().encode(['string', 'string'], [a.chainId, issuerApp])))) as boolean;
  if (!trusted) throw new EvmFlowError('PNT_ERR_EVM_FLOW_UNTRUSTED_ISSUER', `the AttestationVerifier on ${b.chainId} does not accept app ${issuerApp} of ${a.chainId} (deploy.ts attestationVerifier.issuers)`, { details: { chain: a.chainId, app: issuerApp } });
  const latest = await a.provider.getBlock('latest');
  const expiresAtMs = Math.max((latest?.timestamp ?? 0) * 1000, Date.now()) + (o.validForMs ?? 24 * 3600_000);

  say(`attestation: ${issuer} on ${a.chainId} attests "${subjectText}" (${kindText}) to the AttestationVerifier on ${b.chainId}`);
  say(`  ${b.chainId}: isValid(${subject}) = ${await verifier.isValid(subject)} before`);
  const sent = await sendPacket(gatewayA, issuerC.issue(b.chainId, verifierApp, issuer, subject, kind, expiresAtMs, await timeoutFor(a)), `issuing on ${a.chainId}`);
  say(`  ${a.chainId}: AttestationIssuer sent packet ${packetId(sent.packet)} (tx ${sent.txHash}, block ${sent.block}), valid until ${new Date(expiresAtMs).toISOString()}`);
  await waitFor(ctx, `the attestation to be valid on ${b.chainId}`, sent.packet, async () => ((await verifier.isValid(subject)) ? true : undefined));
  say(`  hub ${ctx.hubChainId}: ${stepsText(await hubSteps(ctx, sent.packet))}`);
  const [record] = await verifier.attestation(subject);
  say(`  ${b.chainId}: AttestationVerifier recorded it from ${record.issuerChain}/${record.sourceApp} (issuer ${record.issuer}); isValid = true`);
  await waitAcknowledged(ctx, gatewayA, sent.packet, a.chainId);
  const issued: TransferLeg = { packet: sent.packet, packetId: packetId(sent.packet), txHash: sent.txHash, hubSteps: await hubSteps(ctx, sent.packet) };
  say(`  ${a.chainId}: the Gateway verified ${b.chainId}'s ack through the hub (AttestationIssuer acks: ${await issuerC.acked()})`);
  const report: AttestationReport = { subject, issuer, kind, expiresAtMs, issued, validAfterIssue: (await verifier.isValid(subject)) as boolean };
  if (!o.revoke) return report;

  const rev = await sendPacket(gatewayA, issuerC.revoke(b.chainId, verifierApp, issuer, subject, await timeoutFor(a)), `revoking on ${a.chainId}`);
  say(`  ${a.chainId}: AttestationIssuer sent the revocation, packet ${packetId(rev.packet)} (tx ${rev.txHash}, block ${rev.block})`);
  await waitFor(ctx, `the revocation to take effect on ${b.chainId}`, rev.packet, async () => ((await verifier.isValid(subject)) ? undefined : true));
  say(`  ${b.chainId}: AttestationVerifier recorded the revocation; isValid = false`);
  await waitAcknowledged(ctx, gatewayA, rev.packet, a.chainId);
  report.revoked = { packet: rev.packet, packetId: packetId(rev.packet), txHash: rev.txHash, hubSteps: await hubSteps(ctx, rev.packet) };
  report.validAfterRevoke = (await verifier.isValid(subject)) as boolean;
  say(`  ${a.chainId}: the revocation's ack is back (hub: ${stepsText(report.revoked.hubSteps)})`);
  return report;
}

