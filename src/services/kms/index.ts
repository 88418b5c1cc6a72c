/** KMS: keys and aliases, with local key material for Encrypt, Decrypt and GenerateDataKey. */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import type { Service } from '../service.ts';

export const kms: Service = {
  signingName: 'kms',
  model: models.kms,
  protocols: [new JsonProtocol()],
  handlers: {},
};
