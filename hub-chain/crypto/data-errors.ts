/**
 * The error codes of the data-sharing layer's cryptography (hpke.ts, sm.ts, sealed.ts) and of a
 * node's encrypted key file (keystore.ts), as one catalog table. Every failure to open something
 * is the same code on purpose: a caller (or an attacker) learns that it did not open, not why.
 */
import { errorTable } from '../errors.ts';

export const DATA_CRYPTO_ERRORS = errorTable(
  [
    /** A ciphertext did not open: wrong key, tampered bytes, wrong aad or info, a keyId that is not a recipient, a malformed or low-order ephemeral key. */
    'PNT_ERR_DATA_DECRYPT',
    /** A sealed envelope whose encoding is not the canonical one: truncated, trailing bytes, wrong lengths, too many recipients, a payload over 1 MiB. */
    'PNT_ERR_DATA_ENVELOPE_MALFORMED',
    /** A key handed to encrypt, sign or derive is not a valid key of its profile (wrong length, not on the curve, scalar out of range). */
    'PNT_ERR_DATA_KEY_INVALID',
    /** sealTo refused its input: no recipients, more than 16, a duplicate or malformed keyId, a plaintext over 1 MiB. */
    'PNT_ERR_DATA_SEAL_REFUSED',
    /** The keystore passphrase is not the one the file was created with. */
    'PNT_ERR_KEYSTORE_PASSPHRASE',
    /** The keystore file does not parse, has parameters out of range, or its contents do not match their MAC (edited or corrupted). */
    'PNT_ERR_KEYSTORE_MALFORMED',
    /** The keystore holds no key with this keyId. */
    'PNT_ERR_KEYSTORE_UNKNOWN_KEY',
    /** A key is added under a keyId the keystore already holds (retired keys keep their id). */
    'PNT_ERR_KEYSTORE_DUPLICATE_KEY',
    /** Keystore.create on a path that already holds a file: an existing keystore is never overwritten. */
    'PNT_ERR_KEYSTORE_EXISTS',
    /** Keystore.open on a path that holds no file. */
    'PNT_ERR_KEYSTORE_NOT_FOUND',
    /** Reading or writing the keystore file failed (disk full, permissions); the previous file is left intact. */
    'PNT_ERR_KEYSTORE_IO',
  ],
  { PNT_ERR_KEYSTORE_UNKNOWN_KEY: { httpStatus: 404 }, PNT_ERR_KEYSTORE_NOT_FOUND: { httpStatus: 404 }, PNT_ERR_KEYSTORE_IO: { retryable: true, httpStatus: 500 } },
);
