/** Creating node homes: one node (`node init`) or a local testnet of N validators (`testnet init`). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../crypto/bytes.ts';
import { generateAccountKey } from '../crypto/ed25519.ts';
import { addressFromPublicKey, generateValidatorKey, validatorPublicKey } from '../crypto/secp256k1.ts';
import type { Genesis } from '../app/genesis.ts';
import { paramsSchema } from '../app/genesis.ts';
import { ConfigError, type NodeConfig, parseNodeConfig, paths } from './config.ts';

export const DEFAULT_CHAIN_ID = 'pontis-hub-1';
export const P2P_PORT_OFFSET = 1000;

interface Keys {
  validator: { address: string; publicKey: string; secretKey: string };
  operator: { address: string; publicKey: string; seed: string };
}

function makeKeys(): Keys {
  const sk = generateValidatorKey();
  const pub = validatorPublicKey(sk);
  const op = generateAccountKey();
  return {
    validator: { address: addressFromPublicKey(pub), publicKey: toHex(pub), secretKey: toHex(sk) },
    operator: { address: op.address, publicKey: toHex(op.publicKey), seed: toHex(op.secretKey) },
  };
}

function writeHome(dir: string, config: NodeConfig, genesis: Genesis, keys: Keys): void {
  const p = paths(dir);
  if (existsSync(p.config)) throw new ConfigError('PNT_ERR_HOME_EXISTS', `${dir} already holds a node (config.json exists)`);
  mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  mkdirSync(p.data, { recursive: true });
  writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  writeFileSync(p.genesis, JSON.stringify(genesis, null, 2) + '\n');
  writeFileSync(p.validatorKey, JSON.stringify(keys.validator, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(p.operatorKey, JSON.stringify(keys.operator, null, 2) + '\n', { mode: 0o600 });
}

export interface InitOptions {
  chainId?: string;
  moniker?: string;
  rpcPort?: number;
  p2pPort?: number;
}

/** A single-validator chain (its own governance member). */
export function initNode(dir: string, o: InitOptions = {}): { address: string; operator: string } {
  const keys = makeKeys();
  const genesis: Genesis = {
    chainId: o.chainId ?? DEFAULT_CHAIN_ID,
    genesisTime: Date.now(),
    validators: [{ address: keys.validator.address, publicKey: keys.validator.publicKey, power: 10, name: o.moniker ?? 'node0' }],
    governance: { members: [{ address: keys.operator.address, weight: 1 }] },
    params: paramsSchema.parse({}),
  };
  const config = parseNodeConfig({ moniker: o.moniker ?? 'node0', rpc: { port: o.rpcPort ?? 26657 }, p2p: { port: o.p2pPort ?? 26656 } });
  writeHome(dir, config, genesis, keys);
  return { address: keys.validator.address, operator: keys.operator.address };
}

export interface FullNodeOptions {
  genesis: Genesis;
  /** ws:// URLs of nodes to dial (validators of the network). */
  peers: string[];
  rpcPort: number;
  p2pPort: number;
  moniker?: string;
  config?: Partial<NodeConfig>;
}

/**
 * A node that follows an existing network without validating: no validator key, the network's
 * genesis, peers to dial. Started empty, it restores a state snapshot if peers offer one.
 */
export function initFullNode(dir: string, o: FullNodeOptions): { home: string } {
  const p = paths(dir);
  if (existsSync(p.config)) throw new ConfigError('PNT_ERR_HOME_EXISTS', `${dir} already holds a node (config.json exists)`);
  const config = parseNodeConfig({ ...o.config, moniker: o.moniker ?? 'full-node', rpc: { ...o.config?.rpc, port: o.rpcPort }, p2p: { ...o.config?.p2p, port: o.p2pPort, peers: o.peers } });
  mkdirSync(p.data, { recursive: true });
  writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  writeFileSync(p.genesis, JSON.stringify(o.genesis, null, 2) + '\n');
  return { home: dir };
}

export interface TestnetOptions {
  validators: number;
  basePort: number;
  chainId?: string;
  consensus?: Partial<NodeConfig['consensus']>;
  logLevel?: NodeConfig['log']['level'];
  /** Makes the chain a side-chain (spoke) of this hub. */
  hubChainId?: string;
  /** Opening balances (bank module). */
  accounts?: Genesis['accounts'];
  /** State sync settings for every node (e.g. a short snapshot interval in tests). */
  statesync?: Partial<NodeConfig['statesync']>;
}

/** Homes `out/node0` .. `out/node{N-1}`: RPC on basePort+i, peer links on basePort+1000+i, full mesh. */
export function initTestnet(out: string, o: TestnetOptions): { homes: string[]; rpcUrls: string[] } {
  const n = o.validators;
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new ConfigError('PNT_ERR_CONFIG_INVALID', '--validators must be 1..50');
  if (!Number.isInteger(o.basePort) || o.basePort < 1024 || o.basePort + P2P_PORT_OFFSET + n > 65535) throw new ConfigError('PNT_ERR_CONFIG_INVALID', `--base-port must leave room for ports base..base+${P2P_PORT_OFFSET + n}`);
  const keys = Array.from({ length: n }, makeKeys);
  const genesis: Genesis = {
    chainId: o.chainId ?? DEFAULT_CHAIN_ID,
    genesisTime: Date.now(),
    validators: keys.map((k, i) => ({ address: k.validator.address, publicKey: k.validator.publicKey, power: 10, name: `node${i}` })),
    governance: { members: keys.map((k) => ({ address: k.operator.address, weight: 1 })) },
    params: paramsSchema.parse({ hubChainId: o.hubChainId }),
    ...(o.accounts ? { accounts: o.accounts } : {}),
  };
  const homes: string[] = [];
  const rpcUrls: string[] = [];
  keys.forEach((k, i) => {
    const home = join(out, `node${i}`);
    const peers = keys.map((_, j) => j).filter((j) => j !== i).map((j) => `ws://127.0.0.1:${o.basePort + P2P_PORT_OFFSET + j}`);
    const config = parseNodeConfig({
      moniker: `node${i}`,
      rpc: { port: o.basePort + i },
      p2p: { port: o.basePort + P2P_PORT_OFFSET + i, peers },
      consensus: o.consensus,
      statesync: o.statesync,
      log: { level: o.logLevel ?? 'info' },
    });
    writeHome(home, config, genesis, k);
    homes.push(home);
    rpcUrls.push(`http://127.0.0.1:${o.basePort + i}`);
  });
  return { homes, rpcUrls };
}
