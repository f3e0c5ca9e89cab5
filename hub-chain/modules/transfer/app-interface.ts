/**
 * How the packet module and the applications it carries meet (defined here, imported by the
 * packet module): apps send through a PacketSender and receive callbacks as a PacketApp; the hub
 * consults a ForwardPolicy per app before forwarding.
 */
import type { ModuleEnv } from '../../app/module.ts';
import type { Hex } from '../../crypto/bytes.ts';
import type { PontisError } from '../../errors.ts';
import type { Ack, Packet } from '../packets/types.ts';

export interface PacketSender {
  sendPacket(env: ModuleEnv, p: { srcApp: string; dstChain: string; dstApp: string; payload: Hex; timeoutHeight: number; timeoutTimestamp: number; ordered: boolean }): Packet;
}

/** An application bound to a name (the packet's srcApp/dstApp). Callbacks run inside the packet module's handling of a relay message, on a write overlay; a throw in onRecv discards the app's writes and becomes an error ack. */
export interface PacketApp {
  readonly name: string;
  /** Returns the ack result bytes (hex). */
  onRecv(env: ModuleEnv, packet: Packet): Hex;
  /** Error acks (incl. PNT_ERR_PACKET_TIMEOUT from the hub) => refund. */
  onAck(env: ModuleEnv, packet: Packet, ack: Ack): void;
  /** Refund. */
  onTimeout(env: ModuleEnv, packet: Packet): void;
}

/** Runs on the HUB when it forwards a packet (policy: accounting, rate limits). Throw PontisError to refuse forwarding (the packet is then acknowledged with that error code back to the source). Return 'queue' to hold it (rate limit with queueing configured); the packet module keeps queued packets and calls onForward again from endBlock. */
export interface ForwardPolicy {
  readonly app: string;
  onForward(env: ModuleEnv, packet: Packet): 'forward' | 'queue';
  /** The forwarded packet came back with an error ack or timed out on the destination: undo accounting. */
  onForwardFailed(env: ModuleEnv, packet: Packet): void;
  /** The forwarded packet came back with a success ack (e.g. to record the delivery). */
  onForwardDelivered?(env: ModuleEnv, packet: Packet, ack: Ack): void;
  /** onForward refused the packet with `error`: runs on the store the refusal is written to (its own writes of onForward are gone), e.g. to record the refusal. */
  onRefused?(env: ModuleEnv, packet: Packet, error: PontisError): void;
}
