/**
 * Scalar conversions shared by every protocol: text on the wire to typed values and back, and
 * the constraint checks (required, length, range, enum) that the models declare.
 */
import { AwsError } from '../core/errors.ts';
import type { Shape, ShapeRef, ServiceModel } from './model.ts';

export type Invalid = (message: string) => AwsError;

export function parseScalar(shape: Shape, text: string, name: string, invalid: Invalid): unknown {
  switch (shape.type) {
    case 'string':
      return text;
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(text.trim())) throw invalid(`Value (${text}) for parameter ${name} is invalid. Expected an integer.`);
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw invalid(`Value (${text}) for parameter ${name} is out of range.`);
      return n;
    }
    case 'double':
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) throw invalid(`Value (${text}) for parameter ${name} is invalid. Expected a number.`);
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t !== 'true' && t !== 'false') throw invalid(`Value (${text}) for parameter ${name} is invalid. Expected a boolean.`);
      return t === 'true';
    }
    case 'timestamp':
      return parseTimestamp(text, name, invalid);
    case 'blob':
      return Buffer.from(text, 'base64');
    default:
      throw invalid(`Parameter ${name} has an unexpected value.`);
  }
}

/** A query-string member: every value of a list, or the one value. */
export function queryValue(model: ServiceModel, shape: Shape, query: URLSearchParams, wire: string, name: string, invalid: Invalid): unknown {
  if (!query.has(wire)) return undefined;
  if (shape.type === 'list') return query.getAll(wire).map((s) => parseScalar(model.shapes[shape.member!.shape], s, name, invalid));
  return parseScalar(shape, query.get(wire)!, name, invalid);
}

/** A header member: a list is comma-separated; a timestamp or a blob as parseScalar reads them. */
export function headerValue(model: ServiceModel, shape: Shape, text: string | undefined, name: string, invalid: Invalid): unknown {
  if (text === undefined) return undefined;
  if (shape.type === 'list') return text.split(',').map((s) => parseScalar(model.shapes[shape.member!.shape], s.trim(), name, invalid));
  return parseScalar(shape, text, name, invalid);
}

export function parseTimestamp(value: string | number, name: string, invalid: Invalid): Date {
  const d = typeof value === 'number' || /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) throw invalid(`Value (${value}) for parameter ${name} is invalid. Expected a timestamp.`);
  return d;
}

/** ISO 8601 with milliseconds, as the XML protocols write timestamps. */
export const isoTime = (d: Date | number | string): string => new Date(d).toISOString();

/**
 * Checks the model's constraints on a parsed input. Returns the first violation in the style
 * of AWS's "1 validation error detected" messages, or undefined.
 */
export function checkConstraints(model: ServiceModel, ref: ShapeRef, value: unknown, path: string): string | undefined {
  const shape = model.shapes[ref.shape];
  if (value === undefined || value === null) return undefined;
  const fail = (what: string) => `1 validation error detected: Value at '${path}' failed to satisfy constraint: ${what}`;
  switch (shape.type) {
    case 'structure': {
      const obj = value as Record<string, unknown>;
      for (const r of shape.required ?? []) {
        if (obj[r] === undefined) return `1 validation error detected: Value null at '${join(path, r)}' failed to satisfy constraint: Member must not be null`;
      }
      for (const [m, mref] of Object.entries(shape.members ?? {})) {
        const err = checkConstraints(model, mref, obj[m], join(path, m));
        if (err) return err;
      }
      return undefined;
    }
    case 'list': {
      const arr = value as unknown[];
      if (shape.min !== undefined && arr.length < shape.min) return fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && arr.length > shape.max) return fail(`Member must have length less than or equal to ${shape.max}`);
      for (let i = 0; i < arr.length; i++) {
        const err = checkConstraints(model, shape.member!, arr[i], `${path}.${i + 1}.member`);
        if (err) return err;
      }
      return undefined;
    }
    case 'string': {
      const s = value as string;
      if (shape.min !== undefined && s.length < shape.min) return fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && s.length > shape.max) return fail(`Member must have length less than or equal to ${shape.max}`);
      if (shape.enum && !shape.enum.includes(s)) return fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return undefined;
    }
    case 'integer':
    case 'long':
    case 'double':
    case 'float': {
      const n = value as number;
      if (shape.min !== undefined && n < shape.min) return fail(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && n > shape.max) return fail(`Member must have value less than or equal to ${shape.max}`);
      return undefined;
    }
    default:
      return undefined;
  }
}

const join = (path: string, member: string) => (path ? `${path}.${lowerFirst(member)}` : lowerFirst(member));
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
