/**
 * Content models (xs:sequence, xs:choice, element particles and xs:any wildcards,
 * with minOccurs/maxOccurs) compiled to deterministic automata.
 *
 * The automaton is built the way libxml2 builds its own (xmlschemas.c,
 * xmlSchemaBuildAContentModel: a state machine with epsilon transitions, one
 * fragment per particle), then made deterministic by the subset construction, so
 * that it accepts exactly the child sequences libxml2 accepts. That matters
 * because libxml2's construction is not quite the XSD one: a wildcard with
 * maxOccurs > 1 loops back to the state it starts from, which may be the
 * self-looping state of a preceding `x*` element particle or the start of an
 * enclosing choice. So in PIDF's `tuple*, note*, ##other*` a `<note>` may follow
 * extension elements, and in RPID's `note*, (... | ##other+)` choices
 * (`<relationship>`, `<service-class>`, `<place-type>`, `<sphere>`) a listed
 * element may follow extension elements; libxml2 accepts those documents, so do we.
 *
 * libxml2 implements maxOccurs > 1 with counters; only the counters our schemas
 * need, which impose no bound (maxOccurs="unbounded" with minOccurs 0 or 1), are
 * supported; others make the schema fail to load. A content model that is not
 * deterministic (Unique Particle Attribution) fails to load too.
 *
 * At validation time each child element costs one or two map lookups: by
 * namespace, then by local name, falling back to the state's wildcards.
 */
import type { ElementDecl, Wildcard } from './model.js';

export interface ElementParticle {
  readonly kind: 'element';
  readonly decl: ElementDecl;
  readonly min: number;
  readonly max: number;
}

export interface WildcardParticle {
  readonly kind: 'wildcard';
  readonly wildcard: Wildcard;
  readonly min: number;
  readonly max: number;
}

export interface GroupParticle {
  readonly kind: 'sequence' | 'choice';
  readonly particles: readonly Particle[];
  readonly min: number;
  readonly max: number;
}

export type Particle = ElementParticle | WildcardParticle | GroupParticle;

export class ContentTransition {
  constructor(
    readonly target: ContentState,
    /** The declaration the element matched, or null when a wildcard matched it. */
    readonly decl: ElementDecl | null,
    readonly wildcard: Wildcard | null,
  ) {}
}

export class ContentState {
  readonly elements = new Map<string | null, Map<string, ContentTransition>>();
  /** Wildcard transitions for the namespaces (and no namespace, null) a wildcard here names. */
  readonly namespaceTransitions = new Map<string | null, ContentTransition | null>();
  /** The wildcard transition for any other namespace. */
  otherNamespaces: ContentTransition | null = null;
  final = false;
  /** What may come next, for messages. */
  readonly expected: string[] = [];

  // The last element transition taken: siblings in a long list usually share their name.
  private lastNamespace: string | null = null;
  private lastLocalName = '';
  private lastTransition: ContentTransition | undefined = undefined;

  next(namespace: string | null, localName: string): ContentTransition | undefined {
    if (localName === this.lastLocalName && namespace === this.lastNamespace && this.lastTransition !== undefined) {
      return this.lastTransition;
    }
    const transition = this.elements.get(namespace)?.get(localName);
    if (transition !== undefined) {
      this.lastNamespace = namespace;
      this.lastLocalName = localName;
      this.lastTransition = transition;
      return transition;
    }
    const byNamespace = this.namespaceTransitions.get(namespace);
    if (byNamespace !== undefined) return byNamespace ?? undefined;
    return namespace === null ? undefined : (this.otherNamespaces ?? undefined);
  }

  describeExpected(): string {
    const items = this.expected.length > 12 ? [...this.expected.slice(0, 12), '…'] : this.expected;
    return items.length === 1 ? items[0]! : `one of ${items.join(', ')}`;
  }
}

type Label = { readonly kind: 'element'; readonly decl: ElementDecl } | { readonly kind: 'wildcard'; readonly wildcard: Wildcard };

interface Edge {
  readonly label: Label;
  readonly to: number;
}

/** libxml2's automaton for a particle: states with labelled and epsilon transitions. */
class NfaBuilder {
  readonly edges: Edge[][] = [[]];
  readonly epsilons: number[][] = [[]];
  state = 0;

  newState(): number {
    this.edges.push([]);
    this.epsilons.push([]);
    return this.edges.length - 1;
  }

  private transition(from: number, to: number | null, label: Label): number {
    const target = to ?? this.newState();
    this.edges[from]!.push({ label, to: target });
    return target;
  }

  private epsilon(from: number, to: number | null): number {
    const target = to ?? this.newState();
    this.epsilons[from]!.push(target);
    return target;
  }

  /** Rejects the bounds libxml2 would need a real counter for. */
  private counted(min: number, max: number, what: string): void {
    if (max !== Infinity || min > 1) {
      throw new Error(`${what} with minOccurs="${min}" maxOccurs="${max === Infinity ? 'unbounded' : max}" is not supported`);
    }
  }

  particle(particle: Particle): void {
    switch (particle.kind) {
      case 'element':
        if (particle.decl.substitutes.length > 0) this.substitutionGroup(particle);
        else this.element(particle);
        return;
      case 'wildcard':
        this.wildcard(particle);
        return;
      case 'sequence':
        this.sequence(particle);
        return;
      case 'choice':
        this.choice(particle);
    }
  }

  private element(particle: ElementParticle): void {
    const { decl, min, max } = particle;
    // libxml2 gives an abstract declaration that heads no group no transition at all.
    if (decl.abstract) return;
    const label: Label = { kind: 'element', decl };
    const start = this.state;
    if (max === 1) {
      this.state = this.transition(start, null, label);
    } else {
      this.counted(min, max, `element ${decl.label}`);
      const loop = this.transition(start, null, label);
      this.transition(loop, loop, label);
      this.state = loop;
    }
    if (min === 0) this.epsilon(start, this.state);
  }

  private substitutionGroup(particle: ElementParticle): void {
    const { decl, min, max } = particle;
    const start = this.state;
    const end = this.newState();
    // The head is included even when abstract; validation refuses it then.
    const members = decl.substitutionClosure();
    if (max === 1) {
      for (const member of members) this.epsilon(this.transition(start, null, { kind: 'element', decl: member }), end);
    } else {
      this.counted(min, max, `element ${decl.label}`);
      const hop = this.newState();
      for (const member of members) this.epsilon(this.transition(start, null, { kind: 'element', decl: member }), hop);
      this.epsilon(hop, start);
      this.epsilon(hop, end);
    }
    if (min === 0) this.epsilon(start, end);
    this.state = end;
  }

  private wildcard(particle: WildcardParticle): void {
    const { wildcard, min, max } = particle;
    const label: Label = { kind: 'wildcard', wildcard };
    const start = this.state;
    const end = this.newState();
    if (max === 1) {
      this.transition(start, end, label);
    } else {
      this.counted(min, max, 'xs:any');
      const hop = this.newState();
      this.transition(start, hop, label);
      // The loop goes back to `start`, not to a state of the wildcard's own (see the module comment).
      this.epsilon(hop, start);
      this.epsilon(hop, end);
    }
    if (min === 0) this.epsilon(start, end);
    this.state = end;
  }

  private sequence(particle: GroupParticle): void {
    const { particles, min, max } = particle;
    if (min === 1 && max === 1) {
      for (const child of particles) this.particle(child);
      return;
    }
    if (max === 1) {
      const before = this.state;
      for (const child of particles) this.particle(child);
      if (min === 0) this.epsilon(before, this.state);
      return;
    }
    this.counted(min, max, 'xs:sequence');
    const loop = this.epsilon(this.state, null);
    this.state = loop;
    for (const child of particles) this.particle(child);
    this.epsilon(this.state, loop);
    // A fresh end state, so that what follows cannot re-enter the loop.
    this.state = this.epsilon(this.state, null);
    if (min === 0) this.epsilon(loop, this.state);
  }

  private choice(particle: GroupParticle): void {
    const { particles, min, max } = particle;
    const start = this.state;
    const end = this.newState();
    if (max === 1) {
      for (const child of particles) {
        this.state = start;
        this.particle(child);
        this.epsilon(this.state, end);
      }
    } else {
      this.counted(min, max, 'xs:choice');
      const hop = this.newState();
      const base = this.newState();
      for (const child of particles) {
        this.state = base;
        this.particle(child);
        this.epsilon(this.state, hop);
      }
      this.epsilon(start, base);
      this.epsilon(hop, base);
      this.epsilon(hop, end);
      if (particles.some(isEmptiable)) this.epsilon(base, end);
    }
    if (min === 0) this.epsilon(start, end);
    this.state = end;
  }
}

function isEmptiable(particle: Particle): boolean {
  if (particle.min === 0) return true;
  switch (particle.kind) {
    case 'element':
    case 'wildcard':
      return false;
    case 'sequence':
      return particle.particles.every(isEmptiable);
    case 'choice':
      return particle.particles.some(isEmptiable);
  }
}

/** A namespace no schema can name, standing for "any namespace a wildcard here does not mention". */
const OTHER_NAMESPACE = '\u0000other';

export class ContentAutomaton {
  private constructor(
    readonly start: ContentState,
    /**
     * True when an element name is validated the same way wherever it appears in the
     * content: every particle that can match it has the same type (and abstractness),
     * or every wildcard that can match it processes it the same way. Then changing one
     * child cannot change how its siblings are validated (see validator.ts).
     */
    readonly stableBindings: boolean,
  ) {}

  /** The automaton of a content model without element particles: only the empty sequence of elements. */
  static empty(): ContentAutomaton {
    const start = new ContentState();
    start.final = true;
    return new ContentAutomaton(start, true);
  }

  /**
   * Compiles `particle`; throws when it is not deterministic or needs a counter.
   * `owner` names the type in messages.
   */
  static build(particle: Particle, owner: string): ContentAutomaton {
    const nfa = new NfaBuilder();
    nfa.particle(particle);
    const finalState = nfa.state;

    const closure = (states: Iterable<number>): number[] => {
      const seen = new Set<number>();
      const stack = [...states];
      while (stack.length > 0) {
        const s = stack.pop()!;
        if (seen.has(s)) continue;
        seen.add(s);
        for (const t of nfa.epsilons[s]!) stack.push(t);
      }
      return [...seen].sort((a, b) => a - b);
    };

    const dfa = new Map<string, ContentState>();
    const pending: Array<[number[], ContentState]> = [];
    const stateFor = (states: number[]): ContentState => {
      const key = states.join(',');
      let state = dfa.get(key);
      if (state === undefined) {
        state = new ContentState();
        state.final = states.includes(finalState);
        dfa.set(key, state);
        pending.push([states, state]);
      }
      return state;
    };
    const conflict = (what: string): never => {
      throw new Error(`the content model of ${owner} is not deterministic: ${what}`);
    };

    const start = stateFor(closure([0]));
    while (pending.length > 0) {
      const [states, state] = pending.pop()!;
      const byName = new Map<string, { decl: ElementDecl; targets: Set<number> }>();
      const wildcardEdges: Array<{ wildcard: Wildcard; to: number }> = [];
      for (const s of states) {
        for (const { label, to } of nfa.edges[s]!) {
          if (label.kind === 'wildcard') {
            wildcardEdges.push({ wildcard: label.wildcard, to });
            continue;
          }
          const entry = byName.get(label.decl.label);
          if (entry === undefined) byName.set(label.decl.label, { decl: label.decl, targets: new Set([to]) });
          else if (entry.decl !== label.decl) conflict(`${label.decl.label} may match two declarations`);
          else entry.targets.add(to);
        }
      }
      for (const { decl, targets } of byName.values()) {
        if (wildcardEdges.some((edge) => edge.wildcard.allows(decl.namespace))) {
          conflict(`${decl.label} may match both its declaration and a wildcard`);
        }
        let names = state.elements.get(decl.namespace);
        if (names === undefined) state.elements.set(decl.namespace, (names = new Map()));
        names.set(decl.localName, new ContentTransition(stateFor(closure(targets)), decl, null));
        if (!decl.abstract) state.expected.push(decl.label);
      }
      if (wildcardEdges.length === 0) continue;
      const mentioned = new Set<string | null>([null, OTHER_NAMESPACE]);
      for (const { wildcard } of wildcardEdges) {
        const constraint = wildcard.constraint;
        if (constraint.kind === 'not') mentioned.add(constraint.namespace);
        if (constraint.kind === 'set') for (const ns of constraint.namespaces) mentioned.add(ns);
      }
      for (const namespace of mentioned) {
        const matching = wildcardEdges.filter((edge) => edge.wildcard.allows(namespace));
        let transition: ContentTransition | null = null;
        if (matching.length > 0) {
          const wildcard = matching[0]!.wildcard;
          if (matching.some((edge) => edge.wildcard !== wildcard)) conflict('two wildcards may match the same element');
          transition = new ContentTransition(stateFor(closure(matching.map((edge) => edge.to))), null, wildcard);
        }
        if (namespace === OTHER_NAMESPACE) state.otherNamespaces = transition;
        else state.namespaceTransitions.set(namespace, transition);
      }
      for (const wildcard of new Set(wildcardEdges.map((edge) => edge.wildcard))) state.expected.push(wildcard.describe());
    }
    return new ContentAutomaton(start, bindingsAreStable([...dfa.values()]));
  }
}

function bindingsAreStable(states: readonly ContentState[]): boolean {
  const bindings = new Map<string, ElementDecl>();
  const wildcards = new Set<Wildcard>();
  for (const state of states) {
    for (const names of state.elements.values()) {
      for (const { decl } of names.values()) {
        const previous = bindings.get(decl!.label);
        if (previous !== undefined && (previous.type !== decl!.type || previous.abstract !== decl!.abstract)) return false;
        bindings.set(decl!.label, decl!);
      }
    }
    for (const transition of [...state.namespaceTransitions.values(), state.otherNamespaces]) {
      if (transition !== null) wildcards.add(transition.wildcard!);
    }
  }
  for (const wildcard of wildcards) {
    for (const other of wildcards) {
      if (other !== wildcard && other.processContents !== wildcard.processContents && other.overlaps(wildcard)) return false;
    }
    for (const decl of bindings.values()) if (wildcard.allows(decl.namespace)) return false;
  }
  return true;
}
