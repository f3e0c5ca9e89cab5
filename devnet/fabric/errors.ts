/** Errors of the Fabric network stand-in's own setup (codes PNT_ERR_FABNET_*, listed in hub-chain/error-catalog.ts). */
import { PontisError } from '../../hub-chain/errors.ts';

export class FabricNetworkError extends PontisError {
  override name = 'FabricNetworkError';
}
