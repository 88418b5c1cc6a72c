/** A minimal XML writer for responses. Reading XML uses fast-xml-parser. */
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

export const escapeXml = (s: string): string => s.replace(/[&<>"'\r]/g, (c) => ESC[c]);

export const element = (name: string, inner: string, attrs = ''): string => `<${name}${attrs}>${inner}</${name}>`;

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
