/**
 * Role sessions: temporary credentials that act as a role. AssumeRole mints them for callers;
 * other parts of faultline (the EC2 instance metadata service, for instance profiles) mint them
 * through `issueRoleSession`, which does not consult the trust policy: AWS's own services are
 * trusted through it (ec2.amazonaws.com) before they ask.
 */
import { randomBytes } from 'node:crypto';
import { iamId, secret } from '../../core/ids.ts';
import type { Env } from '../service.ts';
import { iamErrors } from '../iam/errors.ts';
import { recordIssuedKey } from '../iam/identity.ts';
import { ROLES, iamScope, nameKey, type RoleRecord } from '../iam/state.ts';

export const DEFAULT_SESSION_SECONDS = 3600;

export interface RoleSession {
  Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
  AssumedRoleUser: { AssumedRoleId: string; Arn: string };
}

/**
 * Mints credentials for a session of `roleName` in `account`, lasting `seconds` of cloud time,
 * and records the key so that requests signed with it act as the session. Throws NoSuchEntity
 * if the role does not exist. Runs in the caller's transaction, or its own.
 */
export function issueRoleSession(env: Env, account: string, roleName: string, sessionName: string, seconds = DEFAULT_SESSION_SECONDS): RoleSession {
  return env.store.transaction(() => {
    const role = env.store.get<RoleRecord>(ROLES, iamScope(account), nameKey(roleName));
    if (!role) throw iamErrors.noSuchRole(roleName);
    const accessKeyId = iamId('ASIA', 20);
    const expires = new Date(env.clock.now() + seconds * 1000).toISOString();
    const assumedRoleId = `${role.RoleId}:${sessionName}`;
    const arn = `arn:aws:sts::${account}:assumed-role/${role.RoleName}/${sessionName}`;
    recordIssuedKey(env, { accessKeyId, account, arn, userId: assumedRoleId, expires });
    return {
      Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: secret(), SessionToken: sessionToken(), Expiration: expires },
      AssumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: arn },
    };
  });
}

/** Opaque, and about as long as AWS's, which some clients store in fixed-size fields. */
const sessionToken = () => 'FQoGZXIvYXdzE' + randomBytes(270).toString('base64');
