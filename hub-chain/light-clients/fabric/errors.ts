/** Errors of the `fabric` light client and the Fabric protocol checks it shares with the network stand-in. */
import { PontisError, errorTable } from '../../errors.ts';

export const FABRIC_ERR = {
  /** A serialized identity that is malformed, not issued by a CA of its MSP, of an MSP the channel does not hold, or not valid at the time. */
  IDENTITY: 'PNT_ERR_FABRIC_IDENTITY',
  /** A signature that does not verify, or has a high S (Fabric refuses those as malleable). */
  SIGNATURE: 'PNT_ERR_FABRIC_SIGNATURE',
  /** An endorser transaction a committing peer would mark invalid (details.validationCode: Fabric's TxValidationCode). */
  TX_INVALID: 'PNT_ERR_FABRIC_TX_INVALID',
  /** Bytes that are not a block, or a block whose data hash does not cover its envelopes. */
  BLOCK_INVALID: 'PNT_ERR_FABRIC_BLOCK_INVALID',
  /** A block header without enough valid signatures of the channel's orderers. */
  ORDERER_SIGNATURE: 'PNT_ERR_FABRIC_ORDERER_SIGNATURE',
  /** An endorsed-query proof that is not the Pontis chaincode's GetState, or whose answer is not one value per key asked. */
  QUERY_INVALID: 'PNT_ERR_FABRIC_QUERY_INVALID',
  /** An update that does not extend the client's latest header (at or below it): another relayer's update landed first; rebuilt from the new latest, it passes. */
  HEADER_STALE: 'PNT_ERR_FABRIC_HEADER_STALE',
  /** An update that skips heights: Fabric headers are trusted only through the hash chain. */
  HEADER_GAP: 'PNT_ERR_FABRIC_HEADER_GAP',
  /** A header whose previous hash is not the hash of the header before it. */
  HEADER_CHAIN: 'PNT_ERR_FABRIC_HEADER_CHAIN',
} as const;

export const FABRIC_ERRORS = errorTable(FABRIC_ERR, { [FABRIC_ERR.HEADER_STALE]: { retryable: true } });

export class FabricClientError extends PontisError {
  override name = 'FabricClientError';
}
