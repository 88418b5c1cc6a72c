/**
 * Lookups keyed by request input. A plain object also answers to the names it inherits
 * (`constructor`, `toString`, `__proto__`, ...), so a key that came from a request must only
 * ever reach the object's own properties, and assigning `__proto__` must make a property
 * rather than replace the prototype.
 */

/** `obj[key]` if `key` is an own property of `obj`, else undefined. */
export const own = <T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;

/** Sets `obj[key]` as an ordinary own property, whatever `key` is (even `__proto__`). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
