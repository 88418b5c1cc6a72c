/**
 * The metric math grammar (using-metric-math.html), parsed by recursive descent into a tree.
 *
 *   expr    := or
 *   or      := and (("OR" | "||") and)*
 *   and     := cmp (("AND" | "&&") cmp)*
 *   cmp     := add (("==" | "!=" | "<=" | ">=" | "<" | ">") add)?
 *   add     := mul (("+" | "-") mul)*
 *   mul     := unary (("*" | "/") unary)*
 *   unary   := ("-" | "NOT" | "!") unary | pow
 *   pow     := primary ("^" unary)?
 *   primary := number | string | NAME "(" args? ")" | NAME | "[" args "]" | "(" expr ")"
 *
 * A NAME is a query id (m1, errors) or a keyword argument (REPEAT, LINEAR); which one is decided
 * when the tree is evaluated. Strings take single or double quotes, as SEARCH's do.
 */

export type Node =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'name'; v: string }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'array'; items: Node[] }
  | { k: 'unary'; op: '-' | 'NOT'; arg: Node }
  | { k: 'bin'; op: BinaryOp; l: Node; r: Node };

export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'AND' | 'OR';

/** A syntax error, with the 0-based character position where it was found. */
export class MathSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

type Token = { t: 'num'; v: number; pos: number } | { t: 'str'; v: string; pos: number } | { t: 'name'; v: string; pos: number } | { t: 'op'; v: string; pos: number } | { t: 'end'; pos: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '^', '<', '>', '!', '(', ')', '[', ']', ','];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      out.push({ t: 'name', v: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        v += src[j++];
      }
      if (j >= src.length) throw new MathSyntaxError('Unterminated string', i);
      out.push({ t: 'str', v, pos: i });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new MathSyntaxError(`Unexpected character '${c}'`, i);
    out.push({ t: 'op', v: op, pos: i });
    i += op.length;
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

const COMPARISONS = ['==', '!=', '<=', '>=', '<', '>'];

export function parse(src: string): Node {
  const tokens = tokenize(src);
  let at = 0;
  const peek = () => tokens[at];
  const isOp = (...ops: string[]) => {
    const t = peek();
    return (t.t === 'op' && ops.includes(t.v)) || (t.t === 'name' && ops.includes(t.v));
  };
  const describe = (t: Token) => (t.t === 'end' ? 'end of expression' : `'${t.t === 'str' ? JSON.stringify(t.v) : String(t.v)}'`);
  const expect = (op: string) => {
    const t = peek();
    if (!(t.t === 'op' && t.v === op)) throw new MathSyntaxError(`Expected '${op}' but found ${describe(t)}`, t.pos);
    at++;
  };

  const binaryLevel = (ops: string[], next: () => Node, norm: (op: string) => BinaryOp = (op) => op as BinaryOp) => (): Node => {
    let l = next();
    while (isOp(...ops)) {
      const op = norm(String((tokens[at++] as { v: string }).v));
      l = { k: 'bin', op, l, r: next() };
    }
    return l;
  };

  const list = (close: string): Node[] => {
    const items: Node[] = [];
    if (isOp(close)) return items;
    items.push(expr());
    while (isOp(',')) {
      at++;
      items.push(expr());
    }
    return items;
  };

  const primary = (): Node => {
    const t = tokens[at++];
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'name') {
      if (isOp('(')) {
        at++;
        const args = list(')');
        expect(')');
        return { k: 'call', fn: t.v, args };
      }
      return { k: 'name', v: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      const inner = expr();
      expect(')');
      return inner;
    }
    if (t.t === 'op' && t.v === '[') {
      const items = list(']');
      expect(']');
      return { k: 'array', items };
    }
    throw new MathSyntaxError(`Unexpected ${describe(t)}`, t.pos);
  };

  const unary = (): Node => {
    if (isOp('-', 'NOT', '!')) {
      const op = String((tokens[at++] as { v: string }).v);
      return { k: 'unary', op: op === '-' ? '-' : 'NOT', arg: unary() };
    }
    const base = primary();
    if (isOp('^')) {
      at++;
      return { k: 'bin', op: '^', l: base, r: unary() };
    }
    return base;
  };
  const mul = binaryLevel(['*', '/'], unary);
  const add = binaryLevel(['+', '-'], mul);
  const cmp = (): Node => {
    const l = add();
    if (!isOp(...COMPARISONS)) return l;
    const op = String((tokens[at++] as { v: string }).v) as BinaryOp;
    return { k: 'bin', op, l, r: add() };
  };
  const and = binaryLevel(['AND', '&&'], cmp, () => 'AND');
  const or = binaryLevel(['OR', '||'], and, () => 'OR');
  function expr(): Node {
    return or();
  }

  if (tokens.length === 1) throw new MathSyntaxError('The expression is empty', 0);
  const tree = expr();
  if (peek().t !== 'end') throw new MathSyntaxError(`Unexpected ${describe(peek())}`, peek().pos);
  return tree;
}

/** The query ids an expression names (not keywords, not inside strings), for dependency checks. */
export function namesIn(node: Node, out = new Set<string>()): Set<string> {
  switch (node.k) {
    case 'name':
      out.add(node.v);
      break;
    case 'call':
      node.args.forEach((a) => namesIn(a, out));
      break;
    case 'array':
      node.items.forEach((a) => namesIn(a, out));
      break;
    case 'unary':
      namesIn(node.arg, out);
      break;
    case 'bin':
      namesIn(node.l, out);
      namesIn(node.r, out);
      break;
  }
  return out;
}
