/**
 * Checks an operation's output against its output shape in the model: types, enumerations,
 * required members, and member names spelt with another case. The tests run every faultline with the check on
 * (`checkResponseShapes`), so that a handler returning a misspelt member, a number where the
 * model has a string, or a value outside an enumeration fails the test that reaches it, instead of
 * being dropped or passed on silently by the serializer.
 */
import type { ServiceModel, Shape } from './model.ts';

/**
 * Values AWS sends that the model's enumeration leaves out. A stack's own events
 * (AWS::CloudFormation::Stack) carry the stack's status as their ResourceStatus, such as
 * UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, which ResourceStatus does not list.
 */
const BEYOND_ENUM: Record<string, (model: ServiceModel) => readonly string[]> = {
  ResourceStatus: (model) => model.shapes.StackStatus?.enum ?? [],
  // An internet gateway's attachment is `available` in DescribeInternetGateways, not `attached`.
  AttachmentStatus: () => ['available'],
  // VPC endpoints' states are lower camel case on the wire (`available`), as the vpc-endpoint-state filter lists them.
  State: () => ['pendingAcceptance', 'pending', 'available', 'deleting', 'deleted', 'rejected', 'failed', 'expired', 'partial'],
};

const isDate = (v: unknown) => v instanceof Date || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && !Number.isNaN(Date.parse(v)));

function check(model: ServiceModel, shapeName: string, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  const shape: Shape | undefined = model.shapes[shapeName];
  if (!shape) return void out.push(`${path}: no shape ${shapeName} in the model`);
  const wrong = (what: string): void => void out.push(`${path}: ${what} (shape ${shapeName}, ${shape.type}), got ${JSON.stringify(value)?.slice(0, 80)}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return wrong('not an object');
      const members = shape.members ?? {};
      const lowerNames = new Map(Object.keys(members).map((m) => [m.toLowerCase(), m]));
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        const ref = members[k];
        // A member the shape lacks is never sent (the serializers write only the model's
        // members), so what reaches the client always has the model's names. A handler's
        // record may carry internal fields; a name that differs from a member only in case is a
        // misspelling, which would silently drop the member.
        if (ref) check(model, ref.shape, v, `${path}.${k}`, out);
        else if (lowerNames.get(k.toLowerCase()) && !(lowerNames.get(k.toLowerCase())! in value)) out.push(`${path}: member ${k} is spelt ${lowerNames.get(k.toLowerCase())} in shape ${shapeName}`);
      }
      for (const r of shape.required ?? []) if ((value as Record<string, unknown>)[r] === undefined || (value as Record<string, unknown>)[r] === null) out.push(`${path}: required member ${r} of ${shapeName} is missing`);
      return;
    }
    case 'list':
      if (!Array.isArray(value)) return wrong('not a list');
      value.forEach((v, i) => check(model, shape.member!.shape, v, `${path}[${i}]`, out));
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return wrong('not a map');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        check(model, shape.key!.shape, k, `${path}{key}`, out);
        check(model, shape.value!.shape, v, `${path}.${k}`, out);
      }
      return;
    case 'string':
      if (typeof value !== 'string') return wrong('not a string');
      if (shape.enum && !shape.enum.includes(value) && !BEYOND_ENUM[shapeName]?.(model).includes(value)) return wrong(`not one of ${shape.enum.join(', ')}`);
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) wrong('not an integer');
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number') wrong('not a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') wrong('not a boolean');
      return;
    case 'timestamp':
      if (!isDate(value)) wrong('not a time');
      return;
    case 'blob':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) wrong('not bytes');
      return;
  }
}

/** What is wrong with `output` as `operation`'s output, one line each; empty when it fits. */
export function outputProblems(model: ServiceModel, operation: string, output: unknown): string[] {
  const ref = model.operations[operation]?.output;
  if (!ref || output === undefined) return [];
  const out: string[] = [];
  check(model, ref.shape, output, operation, out);
  return out;
}
