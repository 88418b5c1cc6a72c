/**
 * The two form-encoded Query protocols: awsQuery (IAM, STS, Auto Scaling, CloudFormation,
 * CloudWatch for Terraform, SNS) and ec2Query. Both parse `Action=...&A.B.1=...` into the
 * operation's input shape and answer in XML; they differ in how lists are named, in how member
 * names map to the wire, and in the envelope of responses and errors.
 */
import { AwsError, errors } from '../core/errors.ts';
import type { Shape, ShapeRef, ServiceModel } from './model.ts';
import type { Protocol, WireRequest, WireResponse, ParsedRequest } from './protocol.ts';
import { checkConstraints, isoTime, parseScalar, type Invalid } from './values.ts';
import { element, escapeXml, XML_DECL } from './xml.ts';
import { own, setOwn } from '../core/own.ts';

interface Node {
  value?: string;
  children: Map<string, Node>;
}

function tree(params: URLSearchParams): Node {
  const root: Node = { children: new Map() };
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = { children: new Map() }));
      node = next;
    }
    node.value = value;
  }
  return root;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Numbered children (`.1`, `.2`, ...) in numeric order. */
function indexed(node: Node): Node[] {
  return [...node.children.entries()]
    .filter(([k]) => /^\d+$/.test(k))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v);
}

export class QueryProtocol implements Protocol {
  constructor(readonly name: 'query' | 'ec2') {}

  private get ec2() {
    return this.name === 'ec2';
  }

  private invalid: Invalid = (message) =>
    this.ec2 ? errors.invalidParameterValue(message) : new AwsError('InvalidParameterValue', message, 400);

  private wireName(memberName: string, ref: ShapeRef): string {
    if (this.ec2) return ref.queryName ?? (ref.locationName ? capitalize(ref.locationName) : memberName);
    return ref.locationName ?? memberName;
  }

  parse(req: WireRequest, model: ServiceModel): ParsedRequest {
    const contentType = req.headers['content-type'] ?? '';
    const params = new URLSearchParams(req.query);
    if (req.method === 'POST') {
      if (req.body.length && !contentType.startsWith('application/x-www-form-urlencoded'))
        throw new AwsError('UnsupportedMediaType', `Content-Type ${contentType || '(none)'} is not supported; expected application/x-www-form-urlencoded.`, 415);
      const text = req.body.toString('utf8');
      if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(req.body)) throw errors.malformed('The request body is not valid UTF-8.');
      for (const [k, v] of new URLSearchParams(text)) params.append(k, v);
    }
    const action = params.get('Action');
    if (!action) throw errors.missingParameter('Action', this.ec2 ? 'MissingAction' : 'MissingAction');
    const op = own(model.operations, action);
    if (!op) throw errors.invalidAction(action);
    const version = params.get('Version');
    if (version && version !== model.metadata.apiVersion && !this.ec2)
      throw new AwsError('InvalidParameterValue', `Version ${version} is not supported; this endpoint speaks ${model.metadata.apiVersion}.`);
    params.delete('Action');
    params.delete('Version');
    const root = tree(params);
    if (this.ec2) this.rejectUnknown(model, op.input, root);
    const input = op.input ? (this.decode(model, op.input, root, '') as Record<string, unknown>) ?? {} : {};
    if (op.input) this.checkRequired(model, op.input, input);
    return { operation: action, input };
  }

  /** EC2 refuses parameters it does not know, where the other Query services ignore them. */
  private rejectUnknown(model: ServiceModel, ref: ShapeRef | undefined, root: Node): void {
    const members = ref ? model.shapes[ref.shape].members ?? {} : {};
    const known = new Set(Object.entries(members).map(([m, r]) => this.wireName(m, r)));
    for (const name of root.children.keys()) {
      if (!known.has(name)) throw new AwsError('UnknownParameter', `The parameter ${name} is not recognized`);
    }
  }

  private checkRequired(model: ServiceModel, ref: ShapeRef, input: Record<string, unknown>): void {
    if (this.ec2) {
      const shape = model.shapes[ref.shape];
      for (const r of shape.required ?? []) {
        if (input[r] === undefined) throw errors.missingParameter(this.wireName(r, shape.members![r]));
      }
      return;
    }
    const err = checkConstraints(model, ref, input, '');
    if (err) throw errors.validation(err);
  }

  private decode(model: ServiceModel, ref: ShapeRef, node: Node | undefined, name: string): unknown {
    if (!node) return undefined;
    const shape = model.shapes[ref.shape];
    switch (shape.type) {
      case 'structure': {
        const out: Record<string, unknown> = {};
        for (const [m, mref] of Object.entries(shape.members ?? {})) {
          const wire = this.wireName(m, mref);
          const v = this.decode(model, mref, node.children.get(wire), name ? `${name}.${wire}` : wire);
          if (v !== undefined) out[m] = v;
        }
        return out;
      }
      case 'list': {
        if (node.value === '' && node.children.size === 0 && !this.ec2) return [];
        if (node.value !== undefined && this.ec2) this.invalidList(name);
        let container: Node | undefined = node;
        if (!this.ec2 && !(ref.flattened || shape.flattened)) container = node.children.get(shape.member!.locationName ?? 'member');
        if (!container) return node.value !== undefined ? this.invalidList(name) : undefined;
        return indexed(container).map((child, i) => this.decode(model, shape.member!, child, `${name}.${i + 1}`));
      }
      case 'map': {
        const container = ref.flattened || shape.flattened ? node : node.children.get('entry');
        if (!container) return undefined;
        const out: Record<string, unknown> = {};
        for (const entry of indexed(container)) {
          const k = entry.children.get(shape.key!.locationName ?? 'key')?.value;
          if (k === undefined) throw this.invalid(`Map ${name} has an entry without a key.`);
          setOwn(out, k, this.decode(model, shape.value!, entry.children.get(shape.value!.locationName ?? 'value'), `${name}.${k}`));
        }
        return out;
      }
      default:
        if (node.value === undefined) throw this.invalid(`Parameter ${name} must be a single value.`);
        return parseScalar(shape, node.value, name, this.invalid);
    }
  }

  private invalidList(name: string): never {
    throw this.invalid(`Parameter ${name} must be a list.`);
  }

  serialize(model: ServiceModel, operation: string, output: unknown, requestId: string): WireResponse {
    const op = model.operations[operation];
    const ns = model.metadata.xmlNamespace ?? '';
    const body = op.output ? this.members(model, model.shapes[op.output.shape], (output ?? {}) as Record<string, unknown>) : '';
    let xml: string;
    if (this.ec2) {
      xml = element(`${operation}Response`, element('requestId', requestId) + body, ` xmlns="${nsWithSlash(ns)}"`);
    } else {
      const result = op.output?.resultWrapper ? element(op.output.resultWrapper, body) : '';
      xml = element(`${operation}Response`, result + element('ResponseMetadata', element('RequestId', requestId)), ` xmlns="${ns}"`);
    }
    return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, body: XML_DECL + xml };
  }

  private members(model: ServiceModel, shape: Shape, value: Record<string, unknown>): string {
    let out = '';
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      const v = value[m];
      if (v === undefined || v === null) continue;
      out += this.write(model, mref, v, mref.locationName ?? m);
    }
    return out;
  }

  private write(model: ServiceModel, ref: ShapeRef, value: unknown, name: string): string {
    const shape = model.shapes[ref.shape];
    switch (shape.type) {
      case 'structure':
        return element(name, this.members(model, shape, value as Record<string, unknown>));
      case 'list': {
        const items = value as unknown[];
        if (!this.ec2 && (ref.flattened || shape.flattened)) {
          return items.map((it) => this.write(model, shape.member!, it, shape.member!.locationName ?? name)).join('');
        }
        const itemName = shape.member!.locationName ?? (this.ec2 ? 'item' : 'member');
        return element(name, items.map((it) => this.write(model, shape.member!, it, itemName)).join(''));
      }
      case 'map': {
        const entries = Object.entries(value as Record<string, unknown>);
        const k = shape.key!.locationName ?? 'key';
        const v = shape.value!.locationName ?? 'value';
        const inner = entries.map(([ek, ev]) => element('entry', element(k, escapeXml(ek)) + this.write(model, shape.value!, ev, v))).join('');
        return element(name, inner);
      }
      default:
        return element(name, scalarText(shape, value));
    }
  }

  serializeError(model: ServiceModel, error: AwsError, requestId: string): WireResponse {
    const msg = escapeXml(error.message);
    let xml: string;
    if (this.ec2) {
      xml = element('Response', element('Errors', element('Error', element('Code', escapeXml(error.code)) + element('Message', msg))) + element('RequestID', requestId));
    } else {
      const type = error.sender ? 'Sender' : 'Receiver';
      xml = element(
        'ErrorResponse',
        element('Error', element('Type', type) + element('Code', escapeXml(error.code)) + element('Message', msg)) + element('RequestId', requestId),
        ` xmlns="${model.metadata.xmlNamespace ?? ''}"`,
      );
    }
    return { status: error.status, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, body: XML_DECL + xml };
  }
}

const nsWithSlash = (ns: string) => (ns.endsWith('/') ? ns : ns + '/');

export function scalarText(shape: Shape, value: unknown): string {
  switch (shape.type) {
    case 'timestamp':
      return isoTime(value as Date | string | number);
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value)).toString('base64');
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return escapeXml(String(value));
  }
}
