/**
 * Key pairs. CreateKeyPair makes a real key (RSA 2048 or ED25519) and hands back the private
 * key once; ImportKeyPair takes a public key. Fingerprints follow AWS's documented rules:
 *  - RSA, created by AWS: SHA-1 of the private key's PKCS#8 DER, as colon-separated hex;
 *  - RSA, imported: MD5 of the public key's DER (SubjectPublicKeyInfo), as colon-separated hex;
 *  - ED25519, either way: SHA-256 of the OpenSSH public key blob, base64.
 */
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, type Filter } from './filters.ts';
import { COLL, type KeyPairRecord } from './state.ts';
import { tagsFor } from './tags.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

// ---- SSH wire encoding ----

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const sshString = (b: Buffer | string) => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([u32(buf.length), buf]);
};
/** An unsigned big-endian integer as an SSH mpint: a leading zero byte when the high bit is set. */
const mpint = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
};
const b64url = (s: string) => Buffer.from(s, 'base64url');

function readStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < blob.length) {
    if (off + 4 > blob.length) throw badKey();
    const len = blob.readUInt32BE(off);
    if (off + 4 + len > blob.length) throw badKey();
    out.push(blob.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

const badKey = () => new AwsError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');

interface KeyInfo {
  type: 'rsa' | 'ed25519';
  /** The OpenSSH public key blob. */
  blob: Buffer;
  publicKey: KeyObject;
}

function infoOf(publicKey: KeyObject): KeyInfo {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') return { type: 'rsa', publicKey, blob: Buffer.concat([sshString('ssh-rsa'), mpint(b64url(jwk.e!)), mpint(b64url(jwk.n!))]) };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return { type: 'ed25519', publicKey, blob: Buffer.concat([sshString('ssh-ed25519'), sshString(b64url(jwk.x!))]) };
  throw badKey();
}

/** Reads an OpenSSH public key blob (`ssh-rsa` or `ssh-ed25519`). */
function fromBlob(blob: Buffer): KeyInfo {
  const parts = readStrings(blob);
  const type = parts[0]?.toString();
  const jwk = (o: Record<string, string>) => createPublicKey({ key: o, format: 'jwk' });
  try {
    if (type === 'ssh-rsa' && parts.length === 3) {
      const key = jwk({ kty: 'RSA', e: parts[1].toString('base64url'), n: parts[2].toString('base64url') });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024) throw badKey();
      return { type: 'rsa', blob, publicKey: key };
    }
    if (type === 'ssh-ed25519' && parts.length === 2 && parts[1].length === 32) {
      return { type: 'ed25519', blob, publicKey: jwk({ kty: 'OKP', crv: 'Ed25519', x: parts[1].toString('base64url') }) };
    }
  } catch (e) {
    if (e instanceof AwsError) throw e;
    throw badKey();
  }
  throw badKey();
}

/**
 * Parses what ImportKeyPair accepts: an OpenSSH public key line, an RFC 4716 SSH2 public key,
 * or a PEM/DER public key. Material that is itself base64 of one of those is decoded first, as
 * callers who base64-encode the file before the SDK does again send it.
 */
export function parsePublicKey(material: Buffer): KeyInfo {
  let text = material.toString('utf8').trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && !/^(ssh-|ecdsa-)/.test(text)) {
    const decoded = Buffer.from(text.replace(/\s/g, ''), 'base64');
    const inner = decoded.toString('utf8').trim();
    if (/^(ssh-|ecdsa-|-----BEGIN|---- BEGIN)/.test(inner)) text = inner;
    else {
      try {
        return infoOf(createPublicKey({ key: decoded, format: 'der', type: 'spki' }));
      } catch {
        try {
          return fromBlob(decoded);
        } catch {
          throw badKey();
        }
      }
    }
  }
  const line = /^(ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-\S+)\s+([A-Za-z0-9+/=]+)(\s.*)?$/.exec(text);
  if (line) {
    const blob = Buffer.from(line[2], 'base64');
    if (readStrings(blob)[0]?.toString() !== line[1]) throw badKey();
    return fromBlob(blob);
  }
  const ssh2 = /^---- BEGIN SSH2 PUBLIC KEY ----([\s\S]*?)---- END SSH2 PUBLIC KEY ----$/.exec(text);
  if (ssh2) {
    const body = ssh2[1]
      .replace(/\\\r?\n/g, '')
      .split(/\r?\n/)
      .filter((l) => l.trim() && !/^[\w-]+:/.test(l));
    return fromBlob(Buffer.from(body.join(''), 'base64'));
  }
  if (text.startsWith('-----BEGIN')) {
    try {
      return infoOf(createPublicKey(text));
    } catch {
      throw badKey();
    }
  }
  throw badKey();
}

const colonHex = (b: Buffer) => b.toString('hex').match(/../g)!.join(':');

/** An ED25519 private key in OpenSSH's own format, as AWS returns it. */
function opensshPrivateKey(info: KeyInfo, seed: Buffer, comment: string): string {
  const pub = b64url(info.publicKey.export({ format: 'jwk' }).x!);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''), u32(1), sshString(info.blob), sshString(priv)]);
  const lines = body.toString('base64').match(/.{1,70}/g)!;
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
}

/** PuTTY's unencrypted PPK version 3 format. */
function ppkPrivateKey(info: KeyInfo, privateKey: KeyObject, comment: string): string {
  const jwk = privateKey.export({ format: 'jwk' });
  const algorithm = info.type === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519';
  const priv =
    info.type === 'rsa'
      ? Buffer.concat([mpint(b64url(jwk.d!)), mpint(b64url(jwk.p!)), mpint(b64url(jwk.q!)), mpint(b64url(jwk.qi!))])
      : sshString(b64url(jwk.d!));
  const mac = createHmac('sha256', Buffer.alloc(0))
    .update(Buffer.concat([sshString(algorithm), sshString('none'), sshString(comment), sshString(info.blob), sshString(priv)]))
    .digest('hex');
  const wrap = (b: Buffer) => b.toString('base64').match(/.{1,64}/g)!;
  const pubLines = wrap(info.blob);
  const privLines = wrap(priv);
  return [
    `PuTTY-User-Key-File-3: ${algorithm}`,
    'Encryption: none',
    `Comment: ${comment}`,
    `Public-Lines: ${pubLines.length}`,
    ...pubLines,
    `Private-Lines: ${privLines.length}`,
    ...privLines,
    `Private-MAC: ${mac}`,
    '',
  ].join('\n');
}

const opensshPublic = (info: KeyInfo, comment: string) => `${info.type === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519'} ${info.blob.toString('base64')} ${comment}`;

function checkName(ctx: RequestContext, name: string): void {
  if (!name.length || name.length > 255) throw ec2Errors.invalidParameterValue(`Value (${name}) for parameter keyName is invalid. Length must be between 1 and 255 characters.`);
  if (!/^[\x20-\x7e]+$/.test(name)) throw ec2Errors.invalidParameterValue(`Value (${name}) for parameter keyName is invalid. Only ASCII characters are allowed.`);
  if (keyPairByName(ctx, name)) throw new AwsError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
}

/** The key pair of this name in the caller's account and region, if any. */
export function keyPairByName(ctx: RequestContext, name: string): DeepReadonly<KeyPairRecord> | undefined {
  return ctx.env.store.list<KeyPairRecord>(COLL.keyPairs, ctx).find((k) => k.KeyName === name);
}

function store(ctx: RequestContext, name: string, info: KeyInfo, fingerprint: string, specs: TagSpecs | undefined): KeyPairRecord {
  const rec: KeyPairRecord = {
    KeyPairId: resourceId('key'),
    KeyName: name,
    KeyFingerprint: fingerprint,
    KeyType: info.type,
    CreateTime: new Date(ctx.env.clock.now()).toISOString(),
    PublicKey: opensshPublic(info, name),
    Tags: tagsFor(specs, 'key-pair'),
  };
  ctx.env.store.put(COLL.keyPairs, ctx, rec.KeyPairId, rec);
  return rec;
}

const tagsOut = (r: KeyPairRecord) => (r.Tags.length ? r.Tags : undefined);

export const keyPairHandlers = {
  CreateKeyPair(input: { KeyName: string; KeyType?: 'rsa' | 'ed25519'; KeyFormat?: 'pem' | 'ppk'; TagSpecifications?: TagSpecs; DryRun?: boolean }, ctx: RequestContext) {
    checkName(ctx, input.KeyName);
    tagsFor(input.TagSpecifications, 'key-pair');
    const type = input.KeyType ?? 'rsa';
    const format = input.KeyFormat ?? 'pem';
    const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
    const info = infoOf(publicKey);
    const fingerprint =
      type === 'rsa'
        ? colonHex(createHash('sha1').update(privateKey.export({ type: 'pkcs8', format: 'der' })).digest())
        : createHash('sha256').update(info.blob).digest('base64');
    let material: string;
    if (format === 'ppk') material = ppkPrivateKey(info, privateKey, input.KeyName);
    else if (type === 'rsa') material = (privateKey.export({ type: 'pkcs1', format: 'pem' }) as string).trimEnd();
    else material = opensshPrivateKey(info, b64url(privateKey.export({ format: 'jwk' }).d!), input.KeyName);
    const rec = store(ctx, input.KeyName, info, fingerprint, input.TagSpecifications);
    return { KeyName: rec.KeyName, KeyFingerprint: rec.KeyFingerprint, KeyMaterial: material, KeyPairId: rec.KeyPairId, Tags: tagsOut(rec) };
  },

  ImportKeyPair(input: { KeyName: string; PublicKeyMaterial: Buffer; TagSpecifications?: TagSpecs; DryRun?: boolean }, ctx: RequestContext) {
    checkName(ctx, input.KeyName);
    const info = parsePublicKey(Buffer.isBuffer(input.PublicKeyMaterial) ? input.PublicKeyMaterial : Buffer.from(String(input.PublicKeyMaterial)));
    tagsFor(input.TagSpecifications, 'key-pair');
    const fingerprint =
      info.type === 'rsa'
        ? colonHex(createHash('md5').update(info.publicKey.export({ type: 'spki', format: 'der' })).digest())
        : createHash('sha256').update(info.blob).digest('base64');
    const rec = store(ctx, input.KeyName, info, fingerprint, input.TagSpecifications);
    return { KeyName: rec.KeyName, KeyFingerprint: rec.KeyFingerprint, KeyPairId: rec.KeyPairId, Tags: tagsOut(rec) };
  },

  /** Idempotent, as AWS's is: deleting a key that does not exist succeeds. */
  DeleteKeyPair(input: { KeyName?: string; KeyPairId?: string; DryRun?: boolean }, ctx: RequestContext) {
    if (input.KeyName === undefined && input.KeyPairId === undefined) throw errors.missingParameter('keyName or keyPairId');
    const rec = input.KeyPairId ? ctx.env.store.get<KeyPairRecord>(COLL.keyPairs, ctx, input.KeyPairId) : keyPairByName(ctx, input.KeyName!);
    if (rec) ctx.env.store.delete(COLL.keyPairs, ctx, rec.KeyPairId);
    return { Return: true, KeyPairId: rec?.KeyPairId };
  },

  DescribeKeyPairs(
    input: { KeyNames?: string[]; KeyPairIds?: string[]; Filters?: Filter[]; IncludePublicKey?: boolean; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    let keys = ctx.env.store.list<KeyPairRecord>(COLL.keyPairs, ctx);
    if (input.KeyNames?.length) {
      const missing = input.KeyNames.filter((n) => !keys.some((k) => k.KeyName === n));
      if (missing.length) throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${missing.join(', ')}' does not exist`);
      keys = keys.filter((k) => input.KeyNames!.includes(k.KeyName));
    }
    if (input.KeyPairIds?.length) {
      const missing = input.KeyPairIds.filter((id) => !keys.some((k) => k.KeyPairId === id));
      if (missing.length) throw new AwsError('InvalidKeyPair.NotFound', `The key pair ID '${missing.join(', ')}' does not exist`);
      keys = keys.filter((k) => input.KeyPairIds!.includes(k.KeyPairId));
    }
    const filtered = applyFilters(keys, input.Filters, {
      'key-pair-id': (k) => k.KeyPairId,
      'key-name': (k) => k.KeyName,
      fingerprint: (k) => k.KeyFingerprint,
      'key-type': (k) => k.KeyType,
    });
    return { KeyPairs: filtered.map(({ PublicKey, ...k }) => (input.IncludePublicKey ? { ...k, PublicKey } : k)) };
  },
};
