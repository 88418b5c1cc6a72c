/**
 * Offset paging, as the Query APIs page a Describe call: the token (ELB's Marker, Auto Scaling's
 * NextToken) is the base64url offset of the next item. A token not made here is refused with the
 * caller's error, which each API words its own way.
 */
export function pageOf<T>(items: readonly T[], token: string | undefined, size: number, invalid: (token: string) => Error): { items: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    const text = Buffer.from(token, 'base64url').toString();
    if (!/^\d+$/.test(text) || Buffer.from(text).toString('base64url') !== token) throw invalid(token);
    start = Number(text);
  }
  const end = start + size;
  return { items: items.slice(start, end), next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}
