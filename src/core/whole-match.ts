/**
 * A pattern as AWS's APIs compile theirs (Java regular expressions, close enough to JavaScript's),
 * matching the whole value: Unicode-aware where the pattern allows, else without (Java-style
 * identity escapes such as `\_` are invalid in Unicode mode). Undefined when it is no regular
 * expression at all; the caller says so in its service's words.
 */
export function wholeMatch(pattern: string): RegExp | undefined {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(`^(?:${pattern})$`, flags);
    } catch {
      // the next flags, or none
    }
  }
  return undefined;
}
