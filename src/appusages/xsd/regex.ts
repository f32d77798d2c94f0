/**
 * XSD regular expressions (XML Schema Part 2, Appendix F), for pattern facets.
 *
 * A pattern is parsed into a small syntax tree whose character classes are exact
 * code point sets (see char-classes.ts), turned into a position (Glushkov)
 * automaton, and matched with a lazily built deterministic automaton. Matching is
 * linear in the length of the value whatever the pattern: translated to a
 * backtracking JavaScript RegExp, the XPath patterns of RFC 5261 (xcap-diff.xsd)
 * take exponential time on values such as `a[@a='x'][@a='x']...!` (about a second
 * for 22 predicates, doubling with each further one).
 *
 * XSD semantics, which differ from JavaScript's: a pattern always matches the
 * whole value (there are no anchors; `^` and `$` are ordinary characters), `.`
 * excludes only line feed and carriage return, `\i`, `\c` and `\d` follow XML
 * 1.0 and libxml2's tables, and character class subtraction (`[a-z-[aeiou]]`) is
 * supported. `\w`, `\W`, `\p{...}` and `\P{...}` are refused: their Unicode tables
 * differ between libxml2 and V8, and no schema of ours needs them.
 */
import {
  DECIMAL_DIGITS,
  INITIAL_NAME_CHARS,
  NAME_CHARS,
  WHITESPACE,
  WILDCARD,
  complement,
  contains,
  normalize,
  range,
  single,
  subtract,
  type CodePointSet,
} from './char-classes.js';

export class XsdRegexError extends Error {
  override readonly name = 'XsdRegexError';
}

type RegexNode =
  | { readonly kind: 'chars'; readonly set: CodePointSet }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'repeat'; readonly item: RegexNode; readonly min: number; readonly max: number };


/** Repetition bounds above this are refused: the automaton holds one copy per repetition. */
const MAX_COUNTED_REPEAT = 1000;
/** Bounds the size of the position automaton (and so of memory) for any pattern. */
const MAX_POSITIONS = 50_000;
/** The lazily built automaton is discarded and rebuilt when it grows past this many states or transitions. */
const MAX_DFA_STATES = 4096;
const MAX_DFA_TRANSITIONS = 100_000;

const SINGLE_CHAR_ESCAPES: Readonly<Record<string, number>> = {
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  '\\': 0x5c,
  '|': 0x7c,
  '.': 0x2e,
  '?': 0x3f,
  '*': 0x2a,
  '+': 0x2b,
  '(': 0x28,
  ')': 0x29,
  '{': 0x7b,
  '}': 0x7d,
  '-': 0x2d,
  '[': 0x5b,
  ']': 0x5d,
  '^': 0x5e,
};

const MULTI_CHAR_ESCAPES: Readonly<Record<string, CodePointSet>> = {
  s: WHITESPACE,
  S: complement(WHITESPACE),
  i: INITIAL_NAME_CHARS,
  I: complement(INITIAL_NAME_CHARS),
  c: NAME_CHARS,
  C: complement(NAME_CHARS),
  d: DECIMAL_DIGITS,
  D: complement(DECIMAL_DIGITS),
};

class RegexParser {
  private pos = 0;

  constructor(private readonly source: string) {}

  parse(): RegexNode {
    const node = this.regExp();
    if (this.pos < this.source.length) this.fail(`unexpected '${this.peekChar()}'`);
    return node;
  }

  private fail(message: string): never {
    throw new XsdRegexError(`invalid pattern ${JSON.stringify(this.source)} at offset ${this.pos}: ${message}`);
  }

  private peek(): number {
    return this.pos < this.source.length ? this.source.codePointAt(this.pos)! : -1;
  }

  private peekChar(): string {
    return String.fromCodePoint(this.peek());
  }

  private next(): number {
    const c = this.peek();
    if (c < 0) this.fail('unexpected end of pattern');
    this.pos += c > 0xffff ? 2 : 1;
    return c;
  }

  private eat(c: string): boolean {
    if (this.source[this.pos] !== c) return false;
    this.pos += 1;
    return true;
  }

  private regExp(): RegexNode {
    const branches = [this.branch()];
    while (this.eat('|')) branches.push(this.branch());
    return branches.length === 1 ? branches[0]! : { kind: 'alt', items: branches };
  }

  private branch(): RegexNode {
    const pieces: RegexNode[] = [];
    for (;;) {
      const c = this.source[this.pos];
      if (c === undefined || c === '|' || c === ')') break;
      pieces.push(this.piece());
    }
    return pieces.length === 1 ? pieces[0]! : { kind: 'seq', items: pieces };
  }

  private piece(): RegexNode {
    const atom = this.atom();
    const c = this.source[this.pos];
    if (c === '?') return this.quantified(atom, 0, 1);
    if (c === '*') return this.quantified(atom, 0, Infinity);
    if (c === '+') return this.quantified(atom, 1, Infinity);
    if (c === '{') {
      this.pos += 1;
      const min = this.integer();
      let max = min;
      if (this.eat(',')) max = this.source[this.pos] === '}' ? Infinity : this.integer();
      if (!this.eat('}')) this.fail("expected '}' to close the quantifier");
      if (max < min) this.fail(`the quantifier {${min},${max}} has its bounds the wrong way round`);
      if (min > MAX_COUNTED_REPEAT || (max !== Infinity && max > MAX_COUNTED_REPEAT)) {
        this.fail(`repetition counts above ${MAX_COUNTED_REPEAT} are not supported`);
      }
      return { kind: 'repeat', item: atom, min, max };
    }
    return atom;
  }

  private quantified(atom: RegexNode, min: number, max: number): RegexNode {
    this.pos += 1;
    return { kind: 'repeat', item: atom, min, max };
  }

  private integer(): number {
    const start = this.pos;
    while (/[0-9]/.test(this.source[this.pos] ?? '')) this.pos += 1;
    if (this.pos === start) this.fail('expected a number in the quantifier');
    return Number.parseInt(this.source.slice(start, this.pos), 10);
  }

  private atom(): RegexNode {
    const c = this.peek();
    switch (c) {
      case 0x28 /* ( */: {
        this.pos += 1;
        const inner = this.regExp();
        if (!this.eat(')')) this.fail("expected ')'");
        return inner;
      }
      case 0x5b /* [ */:
        return { kind: 'chars', set: this.charClassExpression() };
      case 0x2e /* . */:
        this.pos += 1;
        return { kind: 'chars', set: WILDCARD };
      case 0x5c /* \ */:
        return { kind: 'chars', set: this.escape(false) };
      case 0x3f /* ? */:
      case 0x2a /* * */:
      case 0x2b /* + */:
        return this.fail('a quantifier must follow something to repeat');
      case 0x5d /* ] */:
        return this.fail("an unescaped ']' outside a character class");
      default:
        return { kind: 'chars', set: single(this.next()) };
    }
  }

  /** Parses an escape at `pos`; with `singleOnly`, only single-character escapes are accepted. */
  private escape(singleOnly: boolean): CodePointSet {
    this.pos += 1;
    const letter = this.source[this.pos];
    if (letter === undefined) this.fail('a pattern cannot end with a backslash');
    this.pos += 1;
    const code = SINGLE_CHAR_ESCAPES[letter];
    if (code !== undefined) return single(code);
    if (singleOnly) this.fail(`\\${letter} cannot be a range bound`);
    const set = MULTI_CHAR_ESCAPES[letter];
    if (set !== undefined) return set;
    if (letter === 'w' || letter === 'W' || letter === 'p' || letter === 'P') {
      this.fail(`the escape \\${letter} is not supported (its Unicode tables differ between libxml2 and JavaScript)`);
    }
    return this.fail(`unknown escape \\${letter}`);
  }

  private charClassExpression(): CodePointSet {
    this.pos += 1; // [
    const negative = this.eat('^');
    let set = this.positiveGroup();
    if (negative) set = complement(set);
    if (this.source.startsWith('-[', this.pos)) {
      this.pos += 1;
      set = subtract(set, this.charClassExpression());
    }
    if (!this.eat(']')) this.fail("expected ']' to close the character class");
    return set;
  }

  private positiveGroup(): CodePointSet {
    const parts: number[] = [];
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      if (c < 0) this.fail('the character class is not closed');
      if (c === 0x5d /* ] */) {
        if (this.pos === start) this.fail('an empty character class');
        break;
      }
      if (c === 0x2d /* - */ && this.source[this.pos + 1] === '[') {
        if (this.pos === start) this.fail('a character class cannot start with a subtraction');
        break;
      }
      if (c === 0x5b /* [ */) this.fail("an unescaped '[' inside a character class");
      let lo: number;
      if (c === 0x5c /* \ */) {
        const escaped = this.escape(false);
        if (escaped.length !== 2 || escaped[0] !== escaped[1] || this.source[this.pos] !== '-') {
          parts.push(...escaped);
          continue;
        }
        lo = escaped[0]!;
      } else {
        if (c === 0x2d && this.pos !== start && this.source[this.pos + 1] !== ']') {
          this.fail("'-' may only start or end a character class, or introduce a subtraction");
        }
        lo = this.next();
      }
      if (this.source[this.pos] === '-' && this.source[this.pos + 1] !== ']' && this.source[this.pos + 1] !== '[') {
        this.pos += 1;
        const hiChar = this.peek();
        if (hiChar === 0x5b) this.fail("an unescaped '[' inside a character class");
        const hi = hiChar === 0x5c ? this.escape(true)[0]! : this.next();
        if (hi < lo) this.fail('a character range has its bounds the wrong way round');
        parts.push(...range(lo, hi));
      } else {
        parts.push(lo, lo);
      }
    }
    return normalize(parts);
  }
}

/** The position automaton of a pattern: one position per character class occurrence. */
interface PositionAutomaton {
  readonly sets: CodePointSet[];
  readonly follow: number[][];
  readonly first: readonly number[];
  readonly accepting: Uint8Array;
  readonly nullable: boolean;
}

interface Fragment {
  readonly nullable: boolean;
  readonly first: readonly number[];
  readonly last: readonly number[];
}

class PositionBuilder {
  readonly sets: CodePointSet[] = [];
  readonly follow: Array<Set<number>> = [];

  build(node: RegexNode): PositionAutomaton {
    const fragment = this.fragment(node);
    const accepting = new Uint8Array(this.sets.length);
    for (const p of fragment.last) accepting[p] = 1;
    return {
      sets: this.sets,
      follow: this.follow.map((s) => [...s].sort((a, b) => a - b)),
      first: [...new Set(fragment.first)].sort((a, b) => a - b),
      accepting,
      nullable: fragment.nullable,
    };
  }

  private link(from: readonly number[], to: readonly number[]): void {
    for (const p of from) for (const q of to) this.follow[p]!.add(q);
  }

  private fragment(node: RegexNode): Fragment {
    switch (node.kind) {
      case 'chars': {
        const p = this.sets.length;
        if (p >= MAX_POSITIONS) throw new XsdRegexError(`pattern too large (over ${MAX_POSITIONS} positions)`);
        this.sets.push(node.set);
        this.follow.push(new Set());
        return { nullable: false, first: [p], last: [p] };
      }
      case 'seq':
        return this.sequence(node.items.map((item) => () => this.fragment(item)));
      case 'alt': {
        const parts = node.items.map((item) => this.fragment(item));
        return {
          nullable: parts.some((f) => f.nullable),
          first: parts.flatMap((f) => f.first),
          last: parts.flatMap((f) => f.last),
        };
      }
      case 'repeat':
        return this.repeat(node.item, node.min, node.max);
    }
  }

  private sequence(makers: ReadonlyArray<() => Fragment>): Fragment {
    let result: Fragment = { nullable: true, first: [], last: [] };
    for (const make of makers) {
      const next = make();
      this.link(result.last, next.first);
      result = {
        nullable: result.nullable && next.nullable,
        first: result.nullable ? [...result.first, ...next.first] : result.first,
        last: next.nullable ? [...result.last, ...next.last] : next.last,
      };
    }
    return result;
  }

  private optional(fragment: Fragment): Fragment {
    return { nullable: true, first: fragment.first, last: fragment.last };
  }

  private star(fragment: Fragment): Fragment {
    this.link(fragment.last, fragment.first);
    return { nullable: true, first: fragment.first, last: fragment.last };
  }

  /** `item{min,max}` as `item^min` followed by `item*`, or by nested optional copies (`(item(item)?)?`). */
  private repeat(item: RegexNode, min: number, max: number): Fragment {
    const makers: Array<() => Fragment> = [];
    for (let i = 0; i < min; i += 1) makers.push(() => this.fragment(item));
    if (max === Infinity) {
      makers.push(() => this.star(this.fragment(item)));
    } else if (max > min) {
      const optionalChain = (remaining: number): Fragment =>
        this.optional(
          remaining === 1
            ? this.fragment(item)
            : this.sequence([() => this.fragment(item), () => optionalChain(remaining - 1)]),
        );
      makers.push(() => optionalChain(max - min));
    }
    return this.sequence(makers);
  }
}

/**
 * A state of the deterministic automaton: the positions that may consume the next
 * character, and whether the value may end here.
 */
interface DfaState {
  readonly candidates: readonly number[];
  readonly accepting: boolean;
  readonly next: Map<number, DfaState | null>;
}

/** A compiled pattern facet value. */
export class XsdPattern {
  private readonly automaton: PositionAutomaton;
  private states = new Map<string, DfaState>();
  private transitions = 0;
  private start: DfaState;

  constructor(readonly source: string) {
    this.automaton = new PositionBuilder().build(new RegexParser(source).parse());
    this.start = this.state(this.automaton.first, this.automaton.nullable);
  }

  /** True when the whole of `value` matches the pattern. */
  matches(value: string): boolean {
    let state = this.start;
    const length = value.length;
    for (let i = 0; i < length; i += 1) {
      let c = value.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
        const low = value.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = (c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
          i += 1;
        }
      }
      let next = state.next.get(c);
      if (next === undefined) next = this.transition(state, c);
      if (next === null) return false;
      state = next;
    }
    return state.accepting;
  }

  private state(candidates: readonly number[], accepting: boolean): DfaState {
    const key = `${accepting ? 'a' : 'n'}${candidates.join(',')}`;
    let state = this.states.get(key);
    if (state === undefined) {
      state = { candidates, accepting, next: new Map() };
      this.states.set(key, state);
    }
    return state;
  }

  private transition(from: DfaState, codePoint: number): DfaState | null {
    if (this.states.size > MAX_DFA_STATES || this.transitions > MAX_DFA_TRANSITIONS) {
      // Forget the states built so far; the ones in use stay valid, they are just no longer shared.
      this.states = new Map();
      this.transitions = 0;
      this.start = this.state(this.automaton.first, this.automaton.nullable);
    }
    this.transitions += 1;
    const { sets, follow, accepting } = this.automaton;
    const successors = new Set<number>();
    let matched = false;
    let ends = false;
    for (const p of from.candidates) {
      if (!contains(sets[p]!, codePoint)) continue;
      matched = true;
      if (accepting[p] === 1) ends = true;
      for (const q of follow[p]!) successors.add(q);
    }
    const next = matched ? this.state([...successors].sort((a, b) => a - b), ends) : null;
    from.next.set(codePoint, next);
    return next;
  }
}
