/** KMS: keys and aliases, with local key material for Encrypt, Decrypt and GenerateDataKey. */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import type { Service } from '../service.ts';
import { aliasHandlers } from './aliases.ts';
import { cryptoHandlers } from './crypto.ts';
import { deletionLoop } from './deletion.loop.ts';
import { keyHandlers } from './keys.ts';
import { DELETION_LOOP } from './state.ts';

export const kms: Service = {
  signingName: 'kms',
  model: models.kms,
  protocols: [new JsonProtocol()],
  handlers: { ...keyHandlers, ...aliasHandlers, ...cryptoHandlers },
  loops: (env) => ({ [DELETION_LOOP]: deletionLoop(env) }),
};
