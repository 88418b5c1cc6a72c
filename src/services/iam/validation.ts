/**
 * The model's `pattern` constraints, which the Query protocol does not check: IAM and STS
 * refuse a name, path or document outside its pattern with a ValidationError before anything
 * else happens, so their handlers are wrapped to do the same.
 */
import type { ServiceModel } from '../../protocols/model.ts';
import { checkPatterns } from '../../protocols/patterns.ts';
import type { Handler } from '../service.ts';
import { iamErrors } from './errors.ts';

export function withPatternChecks(model: ServiceModel, handlers: Record<string, Handler>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const ref = model.operations[name]?.input;
    out[name] = (input, ctx) => {
      const err = ref && checkPatterns(model, ref, input);
      if (err) throw iamErrors.validation(err);
      return handler(input, ctx);
    };
  }
  return out;
}
