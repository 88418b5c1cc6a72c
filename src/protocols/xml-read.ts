/**
 * Reads an XML request body into a model shape, with the naming rules the REST-XML protocol
 * shares with botocore: a member is the element named by its `locationName` (for a flattened
 * list, by its item's), a wrapped list holds `member` (or named) items, and scalars are text.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ShapeRef, ServiceModel } from './model.ts';
import { parseScalar, type Invalid } from './values.ts';
import { setOwn } from '../core/own.ts';

type XmlNode = string | { [k: string]: XmlNode | XmlNode[] };

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/**
 * Parses a document; the root element's name and content, or undefined when it is not well formed
 * or not one AWS accepts: no request document has a DTD, so any DOCTYPE (and with it every
 * entity declaration, internal or external) is refused, as are documents the parser will not
 * read (nesting beyond its depth limit, element names such as `__proto__`).
 */
export function parseXml(text: string, opts: { ownAnswer?: boolean } = {}): { root: string; node: XmlNode } | undefined {
  // faultline's own answers (read back by drills) are well formed by construction; validating
  // them first doubled the cost of every probe.
  if (!opts.ownAnswer && (/<!DOCTYPE/i.test(text) || XMLValidator.validate(text) !== true)) return undefined;
  let doc: Record<string, XmlNode>;
  try {
    doc = parser.parse(text) as Record<string, XmlNode>;
  } catch {
    return undefined;
  }
  const root = Object.keys(doc).find((k) => !k.startsWith('?') && k !== '#text');
  return root === undefined ? undefined : { root, node: doc[root] as XmlNode };
}

/** The element name a structure member is written under. */
export function memberElementName(model: ServiceModel, name: string, ref: ShapeRef): string {
  const shape = model.shapes[ref.shape];
  if (shape.type === 'list' && (ref.flattened || shape.flattened) && shape.member?.locationName) return shape.member.locationName;
  return ref.locationName ?? name;
}

const asArray = (v: XmlNode | XmlNode[] | undefined): XmlNode[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const textOf = (v: XmlNode): string => (typeof v === 'string' ? v : typeof v?.['#text'] === 'string' ? (v['#text'] as string) : '');

export function decodeXml(model: ServiceModel, ref: ShapeRef, node: XmlNode | XmlNode[] | undefined, name: string, invalid: Invalid): unknown {
  if (node === undefined) return undefined;
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure': {
      const el = Array.isArray(node) ? node[0] : node;
      const out: Record<string, unknown> = {};
      if (typeof el !== 'object') return out;
      for (const [m, mref] of Object.entries(shape.members ?? {})) {
        if (mref.location) continue;
        const v = decodeXml(model, mref, el[memberElementName(model, m, mref)], `${name}.${m}`, invalid);
        if (v !== undefined) out[m] = v;
      }
      return out;
    }
    case 'list': {
      let items: XmlNode[];
      if (ref.flattened || shape.flattened) items = asArray(node);
      else {
        const el = Array.isArray(node) ? node[0] : node;
        items = typeof el === 'object' ? asArray(el[shape.member!.locationName ?? 'member']) : [];
      }
      return items.map((it, i) => decodeXml(model, shape.member!, it, `${name}.${i + 1}`, invalid));
    }
    case 'map': {
      const flat = ref.flattened || shape.flattened;
      const el = Array.isArray(node) ? node[0] : node;
      const entries = flat ? asArray(node) : typeof el === 'object' ? asArray(el['entry']) : [];
      const out: Record<string, unknown> = {};
      for (const e of entries) {
        if (typeof e !== 'object') continue;
        const k = e[shape.key!.locationName ?? 'key'];
        if (k === undefined) throw invalid(`Map ${name} has an entry without a key.`);
        setOwn(out, textOf(k as XmlNode), decodeXml(model, shape.value!, e[shape.value!.locationName ?? 'value'], `${name}.${textOf(k as XmlNode)}`, invalid));
      }
      return out;
    }
    default: {
      const el = Array.isArray(node) ? node[0] : node;
      return parseScalar(shape, textOf(el), name, invalid);
    }
  }
}
