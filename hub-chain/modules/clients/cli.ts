/** Errors the client types' CLI hooks raise (`pontis chain register`). */
import { PontisError } from '../../errors.ts';

export const badOption = (message: string): PontisError => new PontisError('PNT_ERR_CLI_BAD_OPTION', message);
