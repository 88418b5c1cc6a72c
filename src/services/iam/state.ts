/** IAM's records. IAM is global: its records are kept per account, under region `global`. */
import type { Scope } from '../../core/store.ts';

export const GLOBAL: Scope = { account: '*', region: 'global' };
