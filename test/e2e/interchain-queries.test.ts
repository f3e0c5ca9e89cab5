/**
 * Interchain queries, the packet apps' state routes and the registry CLI against real nodes: a
 * single-validator hub and a single-validator side-chain run in this process (LMDB, Fastify); the
 * `pontis` CLI runs as a child process and talks to them over RPC; relaying is one round at a time
 * in this process (relayers/round.ts) over the nodes' RPC.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { MAX_TX_BYTES, type Msg, encodeTx, signTx } from '../../hub-chain/app/tx.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { initTestnet } from '../../hub-chain/node/init.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { PooledEndpoint } from '../../relayers/paths/pontis/pooled-endpoint.ts';
import { relayRound } from '../../relayers/round.ts';
import { freeBasePort } from './harness.ts';

const BIN = resolve(import.meta.dirname, '../../bin/pontis.js');
const HUB = 'pontis-hub-q';
const SIDE = 'dept-q';
/** Holds 1,000,000 ucredit on the side-chain from genesis. */
const holder = generateAccountKey();

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await cli(...args);
  expect(r.code, `pontis ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

async function startChain(root: string, chainId: string, hubChainId?: string): Promise<{ home: string; node: HubNode; client: HubClient }> {
  const basePort = await freeBasePort(1);
  const accounts = hubChainId ? [{ address: holder.address, balances: [{ denom: 'ucredit', amount: '1000000' }] }] : undefined;
  const { homes } = initTestnet(root, { validators: 1, basePort, chainId, hubChainId, accounts, consensus: { commitMs: 100, proposeMs: 800, prevoteMs: 300, precommitMs: 300 } });
  const node = HubNode.fromHome(homes[0], { logger: pino({ level: 'silent' }) });
  await node.start();
  const client = new HubClient(node.rpcUrl);
  await client.waitForHeight(1, 20_000);
  return { home: homes[0], node, client };
}

describe('interchain queries and the chain registry CLI', () => {
  let dir: string;
  let hub: Awaited<ReturnType<typeof startChain>>;
  let side: Awaited<ReturnType<typeof startChain>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontis-iq-'));
    hub = await startChain(join(dir, 'hub'), HUB);
    side = await startChain(join(dir, 'side'), SIDE, HUB);
  });
  afterAll(async () => {
    await hub?.node.stop();
    await side?.node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('behavior: chain register --trust-from connects the side-chain; list, query chain and query client show it active', async () => {
    const reg = await cliJson<{ proposal: number; status: string; action: { trustedHeight: number; routes: string[] } }>(
      'chain', 'register', '--home', hub.home, '--chain-id', SIDE, '--kind', 'pontis', '--client-type', 'pontis', '--routes', '*', '--trust-from', side.node.rpcUrl,
    );
    expect(reg.status).toBe('executed');
    expect(reg.action.routes).toEqual(['*']);
    expect((await hub.client.proposal(reg.proposal)).status).toBe('executed');

    const list = await cliJson<{ chains: { chainId: string; status: string; kind: string; client: { status: string; latestHeight: number } }[] }>('chain', 'list', '--node', hub.node.rpcUrl);
    expect(list.chains.map((c) => c.chainId)).toEqual([SIDE]);
    expect(list.chains[0]).toMatchObject({ status: 'active', kind: 'pontis', client: { status: 'active', latestHeight: reg.action.trustedHeight } });

    const one = await cliJson<{ chain: { status: string; routes: string[] }; client: { status: string } }>('query', 'chain', SIDE, '--node', hub.node.rpcUrl);
    expect(one.chain).toMatchObject({ status: 'active', routes: ['*'] });
    expect(one.client.status).toBe('active');

    const client = await cliJson<{ status: string; record: { clientType: string; latestHeight: number }; latestConsensus: { height: number; root: string } }>('query', 'client', SIDE, '--node', hub.node.rpcUrl);
    expect(client.status).toBe('active');
    expect(client.record).toMatchObject({ clientType: 'pontis', latestHeight: reg.action.trustedHeight });
    // the trusted root is the side-chain's state root at that height
    expect(client.latestConsensus.root).toBe((await side.client.block(reg.action.trustedHeight)).header.stateRoot);

    // the side-chain knows no chain yet
    expect((await side.client.chains()).chains).toEqual([]);
  });

  it('behavior: pause and resume a chain, and pause and resume one route, change what the registry reports', async () => {
    expect((await cliJson<{ status: string }>('chain', 'pause', '--home', hub.home, '--chain-id', SIDE)).status).toBe('executed');
    expect((await hub.client.chain(SIDE)).chain.status).toBe('paused');
    expect((await cliJson<{ status: string }>('chain', 'resume', '--home', hub.home, '--chain-id', SIDE)).status).toBe('executed');
    expect((await hub.client.chain(SIDE)).chain.status).toBe('active');

    expect((await cliJson<{ status: string }>('chain', 'pause-route', '--home', hub.home, '--src', SIDE, '--dst', 'dept-z')).status).toBe('executed');
    const paused = await hub.client.chain(SIDE);
    expect(paused.pausedRoutes).toEqual([{ src: SIDE, dst: 'dept-z', since: expect.any(Number) }]);
    expect((await cliJson<{ status: string }>('chain', 'resume-route', '--home', hub.home, '--src', SIDE, '--dst', 'dept-z')).status).toBe('executed');
    expect((await hub.client.chain(SIDE)).pausedRoutes).toEqual([]);
  });

  it('behavior: a message sent on the side-chain reads as sent with its height and tx hash, and is listed as pending', async () => {
    const regHub = await cliJson<{ status: string }>('chain', 'register', '--home', side.home, '--chain-id', HUB, '--kind', 'pontis', '--client-type', 'pontis', '--routes', '*', '--trust-from', hub.node.rpcUrl);
    expect(regHub.status).toBe('executed');

    const user = generateAccountKey();
    const sent = await side.client.send(user, [{ type: 'msg/send', dstChain: 'dept-z', payload: toHex(utf8('hello')), timeoutTimestamp: Date.now() + 600_000 }]);
    expect(sent.result.code).toBe('ok');
    const packet = JSON.parse(sent.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet) as Packet;
    const id = `${SIDE}/msg/dept-z/msg/${packet.sequence}`;

    const q = await side.client.packet(id);
    expect(q.id).toBe(id);
    expect(q.status.state).toBe('sent');
    expect(q.status.packet).toEqual(packet);
    expect(q.status.steps).toEqual([{ step: 'sent', height: sent.height, tx: sent.hash, time: expect.any(Number) }]);
    expect(q.keys.commitment).toEqual({ key: `pkt/out/${id}`, exists: true });
    expect(q.keys.receipt.exists).toBe(false);
    expect(q.keys.ack.exists).toBe(false);

    const pending = await side.client.pendingPackets(SIDE, 'dept-z');
    expect(pending.packets.map((p) => p.id)).toEqual([id]);
    expect(pending.packets[0].status?.state).toBe('sent');
    expect(pending.truncated).toBe(false);
    expect((await side.client.pendingPackets(SIDE, 'dept-y')).packets).toEqual([]);

    // the same through the CLI
    const viaCli = await cliJson<{ status: { state: string; steps: { tx: string }[] } }>('query', 'packet', id, '--node', side.node.rpcUrl);
    expect(viaCli.status.state).toBe('sent');
    expect(viaCli.status.steps[0].tx).toBe(sent.hash);
    const pendingCli = await cliJson<{ packets: { id: string }[] }>('query', 'pending', '--src', SIDE, '--dst', 'dept-z', '--node', side.node.rpcUrl);
    expect(pendingCli.packets.map((p) => p.id)).toEqual([id]);

    // nothing was relayed: the hub has no record of it
    await expect(hub.client.packet(id)).rejects.toMatchObject({ code: 'PNT_ERR_PACKET_NOT_FOUND' });
  });

  it('behavior: a message and a transfer side-chain -> hub, relayed: inbox, outcome, balances, escrow, supply and route accounting read back with their state keys', async () => {
    // relies on the previous tests: each chain holds a client of the other
    const sent = await side.client.send(holder, [
      { type: 'msg/send', dstChain: HUB, payload: toHex(utf8('hello hub')), timeoutTimestamp: Date.now() + 600_000 },
      { type: 'transfer/send', dstChain: HUB, receiver: holder.address, denom: 'ucredit', amount: '250', timeoutTimestamp: Date.now() + 600_000 },
    ]);
    expect(sent.result.code).toBe('ok');
    const seq = (JSON.parse(sent.result.events.find((e) => e.type === 'packet/sent' && e.attributes.packet.includes('"srcApp":"msg"'))!.attributes.packet) as Packet).sequence;
    expect(await side.client.msgOutcome(HUB, seq)).toMatchObject({ outcome: 'pending', key: `app/msg/outcome/${HUB}/${String(seq).padStart(16, '0')}` });
    await expect(hub.client.msgInbox(SIDE, seq)).rejects.toMatchObject({ code: 'PNT_ERR_MSG_NOT_FOUND' });

    const relayer = generateAccountKey(); // a fresh key with no funds: relay transactions pay no fees
    const handlers = new PontisPathHandlers(new Map([[HUB, new RpcEndpoint(HUB, hub.node.rpcUrl, relayer)], [SIDE, new RpcEndpoint(SIDE, side.node.rpcUrl, relayer)]]), HUB);
    let cursor: Record<string, number> = { [SIDE]: sent.height - 1, [HUB]: (await hub.client.status()).latestHeight };
    for (let round = 0; round < 60 && (await side.client.msgOutcome(HUB, seq)).outcome === 'pending'; round++) {
      cursor = (await relayRound(handlers, SIDE, HUB, cursor)).cursor;
      await new Promise((r) => setTimeout(r, 200));
    }

    const inbox = await hub.client.msgInbox(SIDE, seq);
    const key = `app/msg/inbox/${SIDE}/${String(seq).padStart(16, '0')}`;
    expect(inbox).toMatchObject({ srcChain: SIDE, sequence: seq, key, message: { from: holder.address, data: toHex(utf8('hello hub')), srcApp: 'msg', height: expect.any(Number) } });
    const proven = await hub.client.state({ text: key }, { prove: true });
    expect(proven.exists).toBe(true);
    expect(proven.proof).toBeDefined();
    const list = await hub.client.msgInboxList(SIDE);
    expect(list.messages.map((m) => m.sequence)).toEqual([seq]);
    expect(list.messages[0].data).toBe(toHex(utf8('hello hub')));
    expect(list.truncated).toBe(false);
    expect((await hub.client.msgInboxList(SIDE, { from: seq + 1 })).messages).toEqual([]);
    expect((await hub.client.msgInboxList('dept-nowhere')).messages).toEqual([]);
    expect(await side.client.msgOutcome(HUB, seq)).toMatchObject({ outcome: 'delivered', dstChain: HUB, sequence: seq });

    const voucher = `t/${SIDE}/ucredit`;
    expect((await side.client.balances(holder.address)).balances).toEqual([{ denom: 'ucredit', amount: '999750', key: `bank/bal/${holder.address}/ucredit` }]);
    expect((await side.client.escrow(HUB)).balances).toEqual([{ denom: 'ucredit', amount: '250', key: `bank/bal/escrow/${HUB}/ucredit` }]);
    expect((await hub.client.balances(holder.address, { denom: voucher })).balances).toEqual([{ denom: voucher, amount: '250', key: `bank/bal/${holder.address}/${voucher}` }]);
    expect((await hub.client.balances(generateAccountKey().address, { denom: voucher })).balances[0].amount).toBe('0');
    expect(await hub.client.supply(voucher)).toMatchObject({ denom: voucher, supply: '250', key: `bank/supply/${voucher}` });
    // transfers addressed to the hub itself are not forwarded, so its route accounting holds nothing for them
    expect(await hub.client.transferRoute(SIDE, HUB, 'ucredit')).toMatchObject({ outstanding: '0', onward: '0', rateLimit: null, keys: { outstanding: `transfer/outstanding/${SIDE}/${HUB}/ucredit` } });
  });

  it('error: the app state routes refuse malformed input (400) and answer 404 with a code for what is not recorded', async () => {
    const error = async (url: string) => {
      const r = await fetch(url);
      return { status: r.status, ...((await r.json()) as { error: { code: string; details?: Record<string, unknown> } }).error };
    };
    const [h, s] = [hub.node.rpcUrl, side.node.rpcUrl];
    expect(await error(`${h}/apps/msg/inbox/${SIDE}/999999`)).toMatchObject({ status: 404, code: 'PNT_ERR_MSG_NOT_FOUND', details: { srcChain: SIDE, sequence: 999999 } });
    expect(await error(`${s}/apps/msg/outcome/dept-nowhere/1`)).toMatchObject({ status: 404, code: 'PNT_ERR_MSG_NOT_FOUND' });
    expect(await error(`${h}/apps/msg/inbox/${SIDE}/01`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'sequence' } });
    expect(await error(`${h}/apps/msg/inbox/${SIDE}/0`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'sequence' } });
    expect(await error(`${h}/apps/msg/inbox/Not_A_Chain/1`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST', details: { param: 'params.srcChain' } });
    expect(await error(`${h}/apps/msg/inbox/${SIDE}?limit=5000`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'limit' } });
    expect(await error(`${h}/apps/msg/inbox/${SIDE}?bogus=1`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST' });
    expect(await error(`${h}/bank/balances/0xABC`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST', details: { param: 'params.address' } });
    expect(await error(`${h}/bank/balances/${holder.address}?denom=Bad%20Denom`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST', details: { param: 'querystring.denom' } });
    expect(await error(`${h}/bank/supply`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST' });
    expect(await error(`${h}/transfer/routes/${SIDE}/dept-nowhere?denom=ucredit`)).toMatchObject({ status: 404, code: 'PNT_ERR_CHAIN_UNKNOWN', details: { chainId: 'dept-nowhere' } });
    expect(await error(`${s}/transfer/routes/${SIDE}/${HUB}?denom=ucredit`)).toMatchObject({ status: 404, code: 'PNT_ERR_RPC_NOT_FOUND' });
    expect(await error(`${h}/attestations/gov/0x${'ab'.repeat(32)}?issuer=Org1MSP`)).toMatchObject({ status: 404, code: 'PNT_ERR_ATTESTATION_NOT_FOUND' });
    expect(await error(`${h}/attestations/gov/0xABZ?issuer=Org1MSP`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST', details: { param: 'params.subject' } });
    expect(await error(`${h}/attestations/gov/0x${'ab'.repeat(32)}`)).toMatchObject({ status: 400, code: 'PNT_ERR_RPC_BAD_REQUEST' });
    // the SDK raises the same codes
    await expect(hub.client.msgOutcome('dept-nowhere', 5)).rejects.toMatchObject({ code: 'PNT_ERR_MSG_NOT_FOUND', retryable: false });
    await expect(hub.client.attestation('gov', 'Org1MSP', `0x${'cd'.repeat(32)}`)).rejects.toMatchObject({ code: 'PNT_ERR_ATTESTATION_NOT_FOUND' });
  });

  it('error: unknown packets, clients and chains answer 404 with a code; malformed ids and limits answer 400', async () => {
    const unknown = await fetch(`${side.node.rpcUrl}/packets/${SIDE}/msg/dept-z/msg/999999`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('PNT_ERR_PACKET_NOT_FOUND');

    const badChain = await fetch(`${hub.node.rpcUrl}/clients/Not_A_Chain`);
    expect(badChain.status).toBe(400);
    expect((await badChain.json()).error.code).toBe('PNT_ERR_RPC_BAD_REQUEST');
    const badSeq = await fetch(`${side.node.rpcUrl}/packets/${SIDE}/msg/dept-z/msg/0`);
    expect(badSeq.status).toBe(400);
    expect((await badSeq.json()).error).toMatchObject({ code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'sequence' } });
    const badLimit = await fetch(`${side.node.rpcUrl}/packets/pending?srcChain=${SIDE}&dstChain=dept-z&limit=5000`);
    expect(badLimit.status).toBe(400);
    expect((await badLimit.json()).error).toMatchObject({ code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'limit' } });
    const missingDst = await fetch(`${side.node.rpcUrl}/packets/pending?srcChain=${SIDE}`);
    expect(missingDst.status).toBe(400);

    await expect(hub.client.clientStatus('dept-nowhere')).rejects.toMatchObject({ code: 'PNT_ERR_CLIENT_NOT_FOUND' });
    const noChain = await fetch(`${hub.node.rpcUrl}/chains/dept-nowhere`);
    expect(noChain.status).toBe(404);
    expect((await noChain.json()).error.code).toBe('PNT_ERR_CHAIN_UNKNOWN');
    await expect(side.client.packet('not/a/packet')).rejects.toMatchObject({ code: 'PNT_ERR_PACKET_ID_INVALID' });
  });

  it('behavior: a relay batch larger than one transaction goes as several, each within MAX_TX_BYTES, and every item gets its result', async () => {
    const far = Date.now() + 3_600_000;
    // 700 items with 1.5 KB proofs (not valid ones: the split, not the proofs, is under test): ~1.4 MB of relay message
    const packets = Array.from({ length: 700 }, (_, i) => ({
      packet: { srcChain: SIDE, srcApp: 'msg', dstChain: HUB, dstApp: 'msg', sequence: 10_000 + i, ordered: false, payload: '0x', timeoutHeight: 0, timeoutTimestamp: far },
      proof: `0x${'ab'.repeat(1500)}`,
    }));
    const msg = { type: 'packets/recv', proofHeight: 1, packets } as Msg;
    const key = generateAccountKey();
    // as one transaction the hub refuses it whole
    const whole = signTx({ chainId: HUB, nonce: 0, msgs: [msg] }, key);
    expect(encodeTx(whole).length).toBeGreaterThan(MAX_TX_BYTES);
    // (over the RPC's body limit as well: the body carries the transaction's bytes as hex)
    await expect(hub.client.submit(whole)).rejects.toMatchObject({ code: expect.stringMatching(/^PNT_ERR_(TX|RPC_BODY)_TOO_LARGE$/) });
    // through a single-key endpoint, and through the relayer process's pool of keys
    for (const ep of [new RpcEndpoint(HUB, hub.node.rpcUrl, key), new PooledEndpoint(HUB, hub.node.rpcUrl, [key])]) {
      const before = (await hub.client.account(key.address)).nonce;
      const r = await ep.submit([msg]);
      expect(r.code).toBe('ok');
      const results = r.events.filter((e) => e.type === 'packet/recv/result');
      expect(results.map((e) => Number(e.attributes.id.split('/').pop()))).toEqual(packets.map((p) => p.packet.sequence));
      for (const e of results) expect(e.attributes.result).toMatch(/^PNT_ERR_/);
      // it took more than one transaction of this key
      expect((await hub.client.account(key.address)).nonce - before).toBeGreaterThanOrEqual(2);
    }
  });

  it('error: the CLI exits non-zero and names the bad option', async () => {
    const noChainId = await cli('chain', 'register', '--home', hub.home, '--kind', 'pontis', '--client-type', 'pontis', '--routes', '*', '--trust-from', side.node.rpcUrl);
    expect(noChainId.code).not.toBe(0);
    expect(noChainId.stderr).toContain('--chain-id');

    const wrongType = await cli('chain', 'register', '--home', hub.home, '--chain-id', 'dept-e', '--kind', 'evm', '--client-type', 'pontis', '--routes', '*', '--initial', '{}');
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toContain('--client-type');

    const wrongChain = await cli('chain', 'register', '--home', hub.home, '--chain-id', 'dept-other', '--kind', 'pontis', '--client-type', 'pontis', '--routes', '*', '--trust-from', side.node.rpcUrl);
    expect(wrongChain.code).not.toBe(0);
    expect(wrongChain.stderr).toContain('--trust-from');

    const badId = await cli('chain', 'pause', '--home', hub.home, '--chain-id', 'Bad Id');
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toContain('--chain-id');

    const badPacket = await cli('query', 'packet', 'just-one-part', '--node', side.node.rpcUrl);
    expect(badPacket.code).not.toBe(0);
    expect(badPacket.stderr).toContain('srcChain/srcApp/dstChain/dstApp/sequence');

    // a refused proposal: registering an already registered chain fails on the chain and exits non-zero
    const again = await cli('chain', 'register', '--home', hub.home, '--chain-id', SIDE, '--kind', 'pontis', '--client-type', 'pontis', '--routes', '*', '--trust-from', side.node.rpcUrl);
    expect(again.code).not.toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'failed', result: expect.stringContaining('PNT_ERR_CHAIN_EXISTS') });
    // nothing changed
    expect((await hub.client.chains()).chains.map((c) => c.chainId)).toEqual([SIDE]);
  });
});
