/**
 * The HTTP scenarios of issue 6 and their targets. Each scenario says which server
 * (auth mode) it needs, what every connection sends, which single requests show it
 * works (their responses are what the baseline replays), and how its row is judged.
 */
import { DigestClientSession } from '../src/auth/digest-client.js';
import {
  documentPath,
  ELEMENT_MIME,
  entryPath,
  LARGE_OWNER_ID,
  manyUserId,
  SELECTED_ENTRY_URI,
  SMALL_OWNER,
  writerEntryBody,
  writerEntryUri,
} from './documents.js';
import type { LoadPlan, LoadRequest } from './load.js';
import { probe, type ProbeRequest } from './probe.js';

export type AuthMode = 'none' | 'digest' | 'basic';

/** What a row is judged on. */
export interface Measured {
  readonly reqPerSec: number;
  readonly ratio: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly non2xx: number;
  readonly errors: number;
  readonly peakRssMb: number | null;
}

export interface Target {
  readonly text: string;
  /** Null when it cannot be judged (e.g. no measurement). */
  met(row: Measured): boolean | null;
}

export interface PreparedScenario {
  readonly plan: LoadPlan;
  /**
   * One request per method the scenario sends; each is sent once before the load
   * (it must succeed) and its response is what the baseline answers for that method.
   */
  readonly probes: readonly ProbeRequest[];
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly auth: AuthMode;
  /** Overrides the common connection count (only for the one-connection latency row). */
  readonly connections?: number;
  /**
   * Overrides the number of alternating rounds: a scenario whose requests queue for
   * seconds needs one long run, or short rounds would end before answers come back.
   */
  readonly rounds?: number;
  /** Whether a baseline run is made for it (a ratio means nothing for a pure latency row). */
  readonly baseline: boolean;
  readonly targets: readonly Target[];
  prepare(origin: string, connections: number): Promise<PreparedScenario>;
}

export const RSS_LIMIT_MB = 300;

const rssTarget: Target = {
  text: `RSS < ${RSS_LIMIT_MB} MB`,
  met: (r) => (r.peakRssMb === null ? null : r.peakRssMb < RSS_LIMIT_MB),
};

function ratioAtLeast(share: number): Target {
  return { text: `≥ ${share * 100}% of baseline`, met: (r) => (r.ratio === null ? null : r.ratio >= share) };
}

const allSucceeded: Target = { text: 'all 2xx', met: (r) => r.non2xx === 0 && r.errors === 0 };

function fixed(requests: LoadRequest[]): LoadPlan {
  return { requestsFor: () => requests.map((r) => ({ ...r })) };
}

function get(path: string, headers: Record<string, string> = {}): LoadRequest & ProbeRequest {
  return { method: 'GET', path, headers };
}

const smallDocumentPath = documentPath(SMALL_OWNER.id);
const elementPath = entryPath(SMALL_OWNER.id, SELECTED_ENTRY_URI);
const attributePath = `${elementPath}/@uri`;

/** Connection n inserts its own entry and deletes it again, so writers never collide and the size stays put. */
function insertDeletePlan(ownerId: string, firstWriter: number): LoadPlan & { probes: ProbeRequest[] } {
  const requestsOf = (writer: number): (LoadRequest & ProbeRequest)[] => {
    const path = entryPath(ownerId, writerEntryUri(writer));
    return [
      { method: 'PUT', path, headers: { 'Content-Type': ELEMENT_MIME }, body: writerEntryBody(writer) },
      { method: 'DELETE', path, headers: {} },
    ];
  };
  // The probe writer is one no connection uses.
  return { requestsFor: (n) => requestsOf(firstWriter + n), probes: requestsOf(firstWriter + 100_000) };
}

/**
 * Requests each connection of scenario f cycles through: more than one connection sends
 * in a round, few enough that building them (at the start of each run) stays cheap.
 */
const RANDOM_USERS_PER_CONNECTION = 1024;

/** 0 … n-1 in a random order (Fisher–Yates). */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

async function digestSessions(origin: string, count: number): Promise<DigestClientSession[]> {
  const sessions: DigestClientSession[] = [];
  for (let i = 0; i < count; i++) {
    const challenge = await probe(origin, get(smallDocumentPath));
    const offered = challenge.headers['www-authenticate'];
    if (challenge.status !== 401 || offered === undefined) {
      throw new Error(`expected a Digest challenge from ${origin}, got ${challenge.status}`);
    }
    sessions.push(new DigestClientSession(offered, { username: SMALL_OWNER.username, password: SMALL_OWNER.password }));
  }
  return sessions;
}

export function buildScenarios(manyUsers: number): Scenario[] {
  const basicAuthorization = `Basic ${Buffer.from(`${SMALL_OWNER.username}:${SMALL_OWNER.password}`).toString('base64')}`;
  return [
    {
      id: 'a',
      title: 'GET whole 2 KB document',
      auth: 'none',
      baseline: true,
      targets: [ratioAtLeast(0.5), rssTarget],
      prepare: async () => ({ plan: fixed([get(smallDocumentPath)]), probes: [get(smallDocumentPath)] }),
    },
    {
      id: 'b',
      title: 'GET one element (node selector)',
      auth: 'none',
      baseline: true,
      targets: [ratioAtLeast(0.4), rssTarget],
      prepare: async () => ({ plan: fixed([get(elementPath)]), probes: [get(elementPath)] }),
    },
    {
      id: 'c',
      title: 'GET one attribute',
      auth: 'none',
      baseline: true,
      targets: [rssTarget],
      prepare: async () => ({ plan: fixed([get(attributePath)]), probes: [get(attributePath)] }),
    },
    {
      id: 'd',
      title: 'element PUT insert/DELETE, 2 KB doc',
      auth: 'none',
      baseline: true,
      targets: [{ text: '≥ 5,000/s', met: (r) => r.reqPerSec >= 5000 }, allSucceeded, rssTarget],
      prepare: async () => {
        const plan = insertDeletePlan(SMALL_OWNER.id, 0);
        return { plan, probes: plan.probes };
      },
    },
    {
      id: 'e',
      title: 'element PUT insert/DELETE, 10,000 entries',
      auth: 'none',
      rounds: 1,
      baseline: true,
      targets: [allSucceeded, rssTarget],
      prepare: async () => {
        const plan = insertDeletePlan(LARGE_OWNER_ID, 0);
        return { plan, probes: plan.probes };
      },
    },
    {
      id: 'e1',
      title: 'same as e, one connection (latency)',
      auth: 'none',
      connections: 1,
      rounds: 1,
      baseline: false,
      targets: [{ text: 'p50 < 15 ms', met: (r) => (r.p50Ms === null ? null : r.p50Ms < 15) }, allSucceeded, rssTarget],
      prepare: async () => {
        const plan = insertDeletePlan(LARGE_OWNER_ID, 1000);
        return { plan, probes: plan.probes };
      },
    },
    {
      id: 'f',
      title: `GET doc of random user of ${manyUsers.toLocaleString('en-US')}`,
      auth: 'none',
      baseline: true,
      targets: [{ text: 'p99 < 5 ms', met: (r) => (r.p99Ms === null ? null : r.p99Ms < 5) }, rssTarget],
      prepare: async () => {
        // The users in a random order, dealt out to the connections run after run: each request
        // is for another random user, without the load generator building a request each time
        // (which cost it as much CPU as the server spends, on a machine whose cores they share).
        const order = shuffled(manyUsers);
        let next = 0;
        const deal = (): LoadRequest[] =>
          Array.from({ length: RANDOM_USERS_PER_CONNECTION }, () => get(documentPath(manyUserId(order[next++ % order.length]!))));
        return { plan: { requestsFor: deal }, probes: [get(documentPath(manyUserId(manyUsers - 1)))] };
      },
    },
    {
      id: 'g',
      title: 'GET 2 KB document, Digest (nonce reused)',
      auth: 'digest',
      baseline: true,
      targets: [rssTarget],
      prepare: async (origin, connections) => {
        // One nonce per connection, as real clients have: the server requires nc to grow
        // per nonce, which requests racing over several connections could not promise.
        const sessions = await digestSessions(origin, connections + 1);
        const probeSession = sessions.pop()!;
        const signed = (session: DigestClientSession): LoadRequest => ({
          method: 'GET',
          path: smallDocumentPath,
          setupRequest: (req) => ({ ...req, headers: { ...req.headers, Authorization: session.authorize('GET', smallDocumentPath) } }),
        });
        return {
          plan: { requestsFor: (n) => [signed(sessions[n % sessions.length]!)] },
          probes: [get(smallDocumentPath, { Authorization: probeSession.authorize('GET', smallDocumentPath) })],
        };
      },
    },
    {
      id: 'h',
      title: 'GET 2 KB document, Basic',
      auth: 'basic',
      baseline: true,
      targets: [rssTarget],
      prepare: async () => ({
        plan: fixed([get(smallDocumentPath, { Authorization: basicAuthorization })]),
        probes: [get(smallDocumentPath, { Authorization: basicAuthorization })],
      }),
    },
  ];
}
