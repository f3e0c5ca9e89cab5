/**
 * Tokens and attestations across two anvil chains through a hub of two validator processes
 * (evm-fixture.ts), with relayers running in the background and the devnet's own flow functions
 * (hub-chain/cli/devnet-evm-flow.ts) doing the steps:
 *  - a SampleToken round trip evm-a -> hub -> evm-b -> hub -> evm-a through the TokenBridges
 *    (the hub's `transfer` app accounting every leg), supply conserved after each leg;
 *  - a transfer evm-b refuses comes back as an error ack and evm-a refunds;
 *  - an attestation from evm-a's AttestationIssuer makes evm-b's AttestationVerifier answer
 *    isValid(subject) true, and a revocation afterwards false; untrusted and expired ones are refused.
 */
import { keccak256 as ethKeccak, toUtf8Bytes } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ISSUER_APP, DEFAULT_VERIFIER_APP, TRANSFER_APP } from '../../contracts/evm/deploy.ts';
import { type EvmFlowChain, type EvmFlowContext, EvmFlowError, evmFlowApps, runAttestation, runTokenRoundTrip, subjectId } from '../../devnet/evm-flow.ts';
import { fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { channelId, packetId, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { policyKeys } from '../../hub-chain/modules/transfer/policy.ts';
import { type BackgroundRelaying, type EvmChain, EvmHubWorld, HUB, ZERO_WORD } from './evm-fixture.ts';

const SUPPLY = 1_000_000n * 10n ** 18n;
const AMOUNT = 2_500n * 10n ** 18n;

let world: EvmHubWorld;
let relaying: BackgroundRelaying;
let a: EvmChain;
let b: EvmChain;
let ctx: EvmFlowContext;
const lines: string[] = [];
const say = (s: string) => lines.push(s);

const flowChain = (c: EvmChain): EvmFlowChain => ({ chainId: c.id, provider: c.provider, signer: c.deployer, deployed: c.deployed });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; relay errors: ${relaying.errors.map((e) => e.message).join(' | ')}`);
    await sleep(250);
  }
}

beforeAll(async () => {
  // the same contracts the devnet deploys for these flows
  const apps = evmFlowApps('evm-a', { initialSupply: SUPPLY });
  world = await EvmHubWorld.start([
    { id: 'evm-a', chainIdNumber: 31_011, apps: apps.a },
    { id: 'evm-b', chainIdNumber: 31_012, apps: apps.b },
  ]);
  a = world.chains['evm-a'];
  b = world.chains['evm-b'];
  ctx = { hubChainId: HUB, hub: world.hub.clients[0], a: flowChain(a), b: flowChain(b), artifacts: world.artifacts, waitMs: 90_000 };
  relaying = world.startRelaying();
}, 240_000);

afterAll(async () => {
  await world?.destroy();
});

describe('tokens: evm-a -> hub -> evm-b -> hub -> evm-a', () => {
  it('behavior: a SampleToken round trip conserves supply: locked on A equals wrapped on B after the outbound leg, and everything is back after the return', async () => {
    expect(a.deployed.tokenBridge?.app).toBe(TRANSFER_APP);
    expect(await a.gateway.appAddress(TRANSFER_APP)).toBe(a.deployed.tokenBridge!.address);
    lines.length = 0;
    const r = await runTokenRoundTrip(ctx, say, { amount: AMOUNT });

    expect(r.denom).toBe(`erc20/${a.deployed.sampleToken!.address.toLowerCase()}`);
    expect(r.voucher).toBe(`t/evm-a/${r.denom}`);
    expect(r.start).toEqual({ escrowedOnA: 0n, wrappedSupplyOnB: 0n, hubOutstanding: 0n, userOnA: SUPPLY, receiverOnB: 0n });
    // outbound: what A locked is exactly what B minted, and what the hub counts as outstanding on the route
    expect(r.afterOutbound).toEqual({ escrowedOnA: AMOUNT, wrappedSupplyOnB: AMOUNT, hubOutstanding: AMOUNT, userOnA: SUPPLY - AMOUNT, receiverOnB: AMOUNT });
    // return: burned on B, released on A, nothing outstanding anywhere
    expect(r.afterReturn).toEqual({ escrowedOnA: 0n, wrappedSupplyOnB: 0n, hubOutstanding: 0n, userOnA: SUPPLY, receiverOnB: 0n });

    // the wrapped token is the one B's bridge created for the voucher
    const wrapped = world.at('WrappedToken', r.wrappedToken, b.provider);
    expect(await wrapped.denom()).toBe(r.voucher);
    expect(await wrapped.bridge()).toBe(b.deployed.tokenBridge!.address);
    expect(await world.at('TokenBridge', b.deployed.tokenBridge!.address, b.provider).wrappedToken(r.voucher)).toBe(r.wrappedToken);

    // each leg went through the hub's transfer app and was acknowledged: no commitment left on either end
    for (const [leg, src] of [
      [r.outbound, a],
      [r.back, b],
    ] as const) {
      expect(leg.packet).toMatchObject({ srcApp: TRANSFER_APP, dstApp: TRANSFER_APP, srcChain: src.id });
      const atHub = (await world.hubPacket(leg.packetId))!;
      expect(atHub.status.state).toBe('delivered');
      expect(atHub.status.ack?.ok).toBe(true);
      expect(leg.hubSteps.map((s) => s.step)).toEqual(expect.arrayContaining(['forwarded']));
      expect(await world.stored(src, packetKeys.outbound(channelId(leg.packet), leg.packet.sequence))).toBe(ZERO_WORD);
    }
    // B's ack result names the voucher it minted; A's names the token it released
    expect((await world.hubPacket(r.outbound.packetId))!.status.ack).toEqual({ ok: true, result: toHex(utf8(JSON.stringify({ denom: r.voucher }))) });
    expect((await world.hubPacket(r.back.packetId))!.status.ack).toEqual({ ok: true, result: toHex(utf8(JSON.stringify({ denom: r.denom }))) });

    // every step was printed with its transaction hash
    const text = lines.join('\n');
    for (const h of [r.outbound.txHash, r.back.txHash]) expect(text).toContain(h);
    expect(text).toContain(`packet ${r.outbound.packetId}`);
  }, 240_000);

  it('error: a transfer B refuses (its inbound rate limit) comes back as an error ack; the flow says so, A refunds and the hub undoes its accounting', async () => {
    const bridgeA = world.at('TokenBridge', a.deployed.tokenBridge!.address, a.deployer);
    const bridgeB = world.at('TokenBridge', b.deployed.tokenBridge!.address, b.deployer);
    const token = world.at('SampleToken', a.deployed.sampleToken!.address, a.deployer);
    const user = a.deployer.address;
    const voucher = `t/evm-a/${await bridgeA.denomOf(token.target)}`;
    const wrappedAddr = await bridgeB.predictWrapped(voucher);
    await (await bridgeB.setRateLimit('evm-a', wrappedAddr, true, 1n, 3600)).wait();
    try {
      const before = (await token.balanceOf(user)) as bigint;
      let err: unknown;
      await runTokenRoundTrip(ctx, () => undefined, { amount: AMOUNT }).catch((e) => (err = e));
      expect(err).toBeInstanceOf(EvmFlowError);
      expect(err).toMatchObject({ code: 'PNT_ERR_EVM_FLOW_REFUSED', details: { error: 'PNT_ERR_TRANSFER_RATE_LIMITED' } });
      const failed = (err as EvmFlowError).details!.packetId as string;
      // the error ack reaches A through the hub: the escrow is released back to the user
      await eventually('the refund on evm-a', async () => ((await token.balanceOf(user)) === before ? true : undefined));
      expect(await bridgeA.escrowed('evm-b', token.target)).toBe(0n);
      expect(await world.at('WrappedToken', wrappedAddr, b.provider).totalSupply()).toBe(0n);
      const out = await world.hub.clients[0].state({ hex: toHex(policyKeys.outstanding('evm-a', 'evm-b', voucher.slice('t/evm-a/'.length))) });
      expect(out.exists).toBe(false);
      const atHub = (await world.hubPacket(failed))!;
      expect(atHub.status.ack).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_RATE_LIMITED' });
      const p = atHub.status.packet;
      await eventually('the commitment cleared on evm-a', async () => ((await world.stored(a, packetKeys.outbound(channelId(p), p.sequence))) === ZERO_WORD ? true : undefined));
    } finally {
      await (await bridgeB.setRateLimit('evm-a', wrappedAddr, true, 0n, 0)).wait();
    }
  }, 240_000);

  it('error: a round trip larger than the user holds is refused before anything is sent', async () => {
    const gw = world.at('Gateway', a.deployed.gateway.address, a.provider);
    const token = world.at('SampleToken', a.deployed.sampleToken!.address, a.provider);
    const before = await a.provider.getBlockNumber();
    const err = await runTokenRoundTrip(ctx, () => undefined, { amount: SUPPLY + 1n }).catch((e) => e);
    expect(err).toMatchObject({ code: 'PNT_ERR_EVM_FLOW_BALANCE' });
    const now = await a.provider.getBlockNumber();
    expect(now > before ? await gw.queryFilter(gw.filters.PacketSent(), before + 1, now) : []).toEqual([]);
    expect(await token.balanceOf(a.deployer.address)).toBe(SUPPLY);
    expect(await token.allowance(a.deployer.address, a.deployed.tokenBridge!.address)).toBe(0n);
  });
});

describe('attestations: evm-a issuer -> hub -> evm-b verifier', () => {
  it('behavior: an attestation issued on A makes isValid(subject) true on B; a revocation afterwards makes it false', async () => {
    lines.length = 0;
    const r = await runAttestation(ctx, say, { subject: 'citizen-7', issuer: 'registry-office', kind: 'residence', revoke: true });
    expect(r.subject).toBe(ethKeccak(toUtf8Bytes('citizen-7')));
    expect(r.validAfterIssue).toBe(true);
    expect(r.validAfterRevoke).toBe(false);
    expect(r.issued.packet).toMatchObject({ srcChain: 'evm-a', srcApp: DEFAULT_ISSUER_APP, dstChain: 'evm-b', dstApp: DEFAULT_VERIFIER_APP });

    const verifier = world.at('AttestationVerifier', b.deployed.attestationVerifier!.address, b.provider);
    const [record, valid] = await verifier.attestation(r.subject);
    expect(valid).toBe(false);
    expect(record.revoked).toBe(true);
    expect(record.issuerChain).toBe('evm-a');
    expect(record.sourceApp).toBe(DEFAULT_ISSUER_APP);
    expect(record.issuer).toBe('registry-office');
    expect(record.kind).toBe(subjectId('residence'));
    for (const leg of [r.issued, r.revoked!]) {
      const atHub = (await world.hubPacket(leg.packetId))!;
      expect(atHub.status.state).toBe('delivered');
      expect(atHub.status.ack?.ok).toBe(true);
    }
    const issuer = world.at('AttestationIssuer', a.deployed.attestationIssuer!.address, a.provider);
    expect(await issuer.acked()).toBe(2n);
    expect(await issuer.refused()).toBe(0n);
    const text = lines.join('\n');
    for (const h of [r.issued.txHash, r.revoked!.txHash]) expect(text).toContain(h);

    // the revocation is final for that issuer: attesting the subject again is refused by B
    const again = await runAttestation(ctx, () => undefined, { subject: 'citizen-7', issuer: 'registry-office' }).catch((e) => e);
    expect(again).toMatchObject({ code: 'PNT_ERR_EVM_FLOW_REFUSED', details: { error: 'PNT_ERR_ATTESTATION_REVOKED' } });
    expect(await verifier.isValid(r.subject)).toBe(false);
  }, 240_000);

  it('error: an attestation that expires before it arrives is refused by B and the flow reports the refusal', async () => {
    const err = await runAttestation(ctx, () => undefined, { subject: 'citizen-8', validForMs: -60_000 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'PNT_ERR_EVM_FLOW_REFUSED', details: { error: 'PNT_ERR_ATTESTATION_EXPIRED' } });
    const verifier = world.at('AttestationVerifier', b.deployed.attestationVerifier!.address, b.provider);
    expect(await verifier.isValid(subjectId('citizen-8'))).toBe(false);
  }, 240_000);

  it('error: an issuer app B does not trust gets an error ack back on A and B records nothing', async () => {
    // a second issuer on A under another app name: evm-b's verifier was configured for attest-issuer only
    const rogue = await world.deployOn(a, 'AttestationIssuer', a.deployed.gateway.address, a.deployer.address, 'rogue-issuer');
    const flowErr = await runAttestation({ ...ctx, a: { ...ctx.a, deployed: { ...a.deployed, attestationIssuer: { ...a.deployed.attestationIssuer!, address: await rogue.getAddress(), app: 'rogue-issuer' } } } }, () => undefined, { subject: 'citizen-9' }).catch((e) => e);
    expect(flowErr).toMatchObject({ code: 'PNT_ERR_EVM_FLOW_UNTRUSTED_ISSUER' });

    // sent anyway, straight from the contract: B refuses it, and the refusal comes back to A
    const subject = subjectId('citizen-9');
    const latest = await a.provider.getBlock('latest');
    const rcpt = await (await rogue.issue('evm-b', DEFAULT_VERIFIER_APP, 'registry-office', subject, subjectId('kyc'), latest!.timestamp * 1000 + 3_600_000, 0)).wait();
    const sent = rcpt.logs.map((l: never) => a.gateway.interface.parseLog(l)).find((d: { name: string } | null) => d?.name === 'PacketSent');
    const id = packetId({ srcChain: 'evm-a', srcApp: 'rogue-issuer', dstChain: 'evm-b', dstApp: DEFAULT_VERIFIER_APP, sequence: Number(sent.args.sequence) } as never);
    await eventually('the error ack on evm-a', async () => ((await rogue.acked()) === 1n ? true : undefined));
    expect(await rogue.refused()).toBe(1n);
    expect(Buffer.from(fromHex(await rogue.lastAck())).subarray(1).toString('utf8')).toBe('PNT_ERR_ATTESTATION_UNTRUSTED_ISSUER');
    expect((await world.hubPacket(id))!.status.ack).toEqual({ ok: false, error: 'PNT_ERR_ATTESTATION_UNTRUSTED_ISSUER' });
    const verifier = world.at('AttestationVerifier', b.deployed.attestationVerifier!.address, b.provider);
    expect(await verifier.isValid(subject)).toBe(false);
    expect((await verifier.attestation(subject))[0].expiresAtMs).toBe(0n);
  }, 240_000);
});
