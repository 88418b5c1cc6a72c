/**
 * KMS's cryptographic operations with local key material: AES-256-GCM under the key's 32 bytes.
 * A ciphertext blob is faultline's own format (AWS's is undocumented):
 *   version (1 byte) | key id (36 ASCII bytes) | IV (12) | GCM tag (16) | ciphertext
 * so that Decrypt finds the key without a KeyId. The encryption context is the GCM additional
 * data, in a canonical form (entries sorted by key), so a blob decrypts only with the same
 * context; a blob that was changed or given the wrong context is InvalidCiphertextException.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RequestContext } from '../service.ts';
import { kmsErrors } from './errors.ts';
import { findKey } from './keys.ts';
import type { KeyRecord } from './state.ts';

const VERSION = 1;
const ID_LEN = 36;
const IV_LEN = 12;
const TAG_LEN = 16;
const HEADER = 1 + ID_LEN + IV_LEN + TAG_LEN;
const MAX_PLAINTEXT = 4096;
const ALGORITHM = 'SYMMETRIC_DEFAULT';

type Context = Record<string, string> | undefined;

const aad = (context: Context): Buffer => Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

/** The key named, if it may be used now: enabled, and not pending deletion. */
function usableKey(ctx: RequestContext, id: string): KeyRecord {
  const key = findKey(ctx, id, { aliases: true });
  if (key.KeyState === 'Disabled') throw kmsErrors.disabled(key.Arn);
  if (key.KeyState === 'PendingDeletion') throw kmsErrors.invalidState(`${key.Arn} is pending deletion.`);
  return key;
}

function checkAlgorithm(algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== ALGORITHM) throw kmsErrors.invalidKeyUsage(`The encryption algorithm ${algorithm} is not valid for a symmetric encryption key; use ${ALGORITHM}.`);
}

function seal(key: KeyRecord, plaintext: Buffer, context: Context): Buffer {
  const iv = randomBytes(IV_LEN);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
  cipher.setAAD(aad(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), Buffer.from(key.KeyId, 'ascii'), iv, cipher.getAuthTag(), body]);
}

/** The plaintext of a blob and the key that made it; `keyId`, when given, must name that key. */
function open(ctx: RequestContext, blob: Buffer | undefined, context: Context, keyId: string | undefined): { key: KeyRecord; plaintext: Buffer } {
  if (!blob || blob.length < HEADER || blob[0] !== VERSION) throw kmsErrors.invalidCiphertext();
  const id = blob.subarray(1, 1 + ID_LEN).toString('ascii');
  if (!/^[0-9a-f-]{36}$/.test(id)) throw kmsErrors.invalidCiphertext();
  const key = usableKey(ctx, id);
  if (keyId !== undefined && usableKey(ctx, keyId).KeyId !== key.KeyId) throw kmsErrors.incorrectKey();
  const iv = blob.subarray(1 + ID_LEN, 1 + ID_LEN + IV_LEN);
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
  decipher.setAAD(aad(context));
  decipher.setAuthTag(blob.subarray(1 + ID_LEN + IV_LEN, HEADER));
  try {
    return { key, plaintext: Buffer.concat([decipher.update(blob.subarray(HEADER)), decipher.final()]) };
  } catch {
    throw kmsErrors.invalidCiphertext();
  }
}

function checkPlaintext(p: Buffer): void {
  if (p.length < 1) throw kmsErrors.validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (p.length > MAX_PLAINTEXT) throw kmsErrors.validation(`1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PLAINTEXT}`);
}

/** The length of a data key: KeySpec AES_256 (32 bytes) or AES_128 (16), or NumberOfBytes, exactly one of them. */
function dataKeyLength(input: { KeySpec?: string; NumberOfBytes?: number }): number {
  if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) throw kmsErrors.validation('Please specify either number of bytes or key spec.');
  return input.NumberOfBytes ?? (input.KeySpec === 'AES_128' ? 16 : 32);
}

const dryRun = (input: { DryRun?: boolean }) => {
  if (input.DryRun) throw kmsErrors.dryRun();
};

interface DataKeyInput {
  KeyId: string;
  KeySpec?: string;
  NumberOfBytes?: number;
  EncryptionContext?: Record<string, string>;
  DryRun?: boolean;
}

function dataKey(input: DataKeyInput, ctx: RequestContext) {
  const key = usableKey(ctx, input.KeyId);
  const plaintext = randomBytes(dataKeyLength(input));
  dryRun(input);
  return { key, plaintext, blob: seal(key, plaintext, input.EncryptionContext) };
}

export const cryptoHandlers = {
  Encrypt(input: { KeyId: string; Plaintext: Buffer; EncryptionContext?: Record<string, string>; EncryptionAlgorithm?: string; DryRun?: boolean }, ctx: RequestContext) {
    const key = usableKey(ctx, input.KeyId);
    checkAlgorithm(input.EncryptionAlgorithm);
    checkPlaintext(input.Plaintext);
    dryRun(input);
    return { CiphertextBlob: seal(key, input.Plaintext, input.EncryptionContext), KeyId: key.Arn, EncryptionAlgorithm: ALGORITHM };
  },

  Decrypt(input: { CiphertextBlob?: Buffer; KeyId?: string; EncryptionContext?: Record<string, string>; EncryptionAlgorithm?: string; DryRun?: boolean }, ctx: RequestContext) {
    checkAlgorithm(input.EncryptionAlgorithm);
    const { key, plaintext } = open(ctx, input.CiphertextBlob, input.EncryptionContext, input.KeyId);
    dryRun(input);
    return { KeyId: key.Arn, Plaintext: plaintext, EncryptionAlgorithm: ALGORITHM };
  },

  ReEncrypt(
    input: {
      CiphertextBlob?: Buffer;
      SourceKeyId?: string;
      SourceEncryptionContext?: Record<string, string>;
      SourceEncryptionAlgorithm?: string;
      DestinationKeyId: string;
      DestinationEncryptionContext?: Record<string, string>;
      DestinationEncryptionAlgorithm?: string;
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    checkAlgorithm(input.SourceEncryptionAlgorithm);
    checkAlgorithm(input.DestinationEncryptionAlgorithm);
    const source = open(ctx, input.CiphertextBlob, input.SourceEncryptionContext, input.SourceKeyId);
    const dest = usableKey(ctx, input.DestinationKeyId);
    dryRun(input);
    return {
      CiphertextBlob: seal(dest, source.plaintext, input.DestinationEncryptionContext),
      SourceKeyId: source.key.Arn,
      KeyId: dest.Arn,
      SourceEncryptionAlgorithm: ALGORITHM,
      DestinationEncryptionAlgorithm: ALGORITHM,
    };
  },

  GenerateDataKey(input: DataKeyInput, ctx: RequestContext) {
    const { key, plaintext, blob } = dataKey(input, ctx);
    return { CiphertextBlob: blob, Plaintext: plaintext, KeyId: key.Arn };
  },

  GenerateDataKeyWithoutPlaintext(input: DataKeyInput, ctx: RequestContext) {
    const { key, blob } = dataKey(input, ctx);
    return { CiphertextBlob: blob, KeyId: key.Arn };
  },

  GenerateRandom(input: { NumberOfBytes?: number; CustomKeyStoreId?: string }) {
    if (input.CustomKeyStoreId !== undefined) throw kmsErrors.unsupported('faultline\'s KMS has no custom key stores.');
    if (input.NumberOfBytes === undefined) throw kmsErrors.validation('Please specify the number of bytes (NumberOfBytes, 1 to 1024).');
    return { Plaintext: randomBytes(input.NumberOfBytes) };
  },
};
