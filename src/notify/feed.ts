/**
 * The change feed: a Server-Sent Events stream of xcap-diff documents, one event per
 * committed change, for the documents the authenticated user may read (their own,
 * the global tree, and whatever an application usage lets everyone read).
 *
 *   GET /xcapd/changes[?user=<xui>][&auid=a,b][&global=0]
 *
 * Every event has an `id:`; a client that reconnects with `Last-Event-ID` gets the
 * events it missed from a bounded in-memory history, or, when they are no longer
 * there (or the server restarted), an `event: reset` telling it to fetch its
 * documents again. A comment line every `heartbeatMs` keeps proxies from closing an
 * idle stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppUsageRegistry } from '../appusages/registry.js';
import type { Requester } from '../appusages/types.js';
import { authorize } from '../auth/policy.js';
import { InvalidUserIdError, normalizeUserId, toXui } from '../auth/user-id.js';
import { renderXcapDiff } from '../xcap/diff.js';
import type { ChangeEvent } from './change-event.js';
import type { ChangeSink } from './dispatcher.js';
import type { Metrics } from './metrics.js';

export const FEED_PATH = '/xcapd/changes';

/**
 * How a feed in one of several worker processes comes to see the changes the others
 * commit (src/cluster/writer-link.ts); absent when this process makes every change.
 */
export interface ChangeFollower {
  /** Resolves once every change committed elsewhere from now on will reach this process; rejects when that cannot be had now. */
  follow(): Promise<void>;
  /** Nothing here needs the others' changes any more. */
  unfollow(): void;
  /** `listener` is called when changes may have been missed while following. */
  onMissed(listener: () => void): void;
}

/** How long a feed goes on following other processes' changes after its last client left, so that a client reconnecting soon resumes exactly. */
const DEFAULT_FOLLOW_GRACE_MS = 60_000;

export interface ChangeFeedOptions {
  readonly registry: AppUsageRegistry;
  readonly xcapRoot: () => string;
  /** Events kept for clients that reconnect. */
  readonly historySize: number;
  /** The event ids' prefix for this process (ChangeEventFactory.boot). */
  readonly boot: string;
  readonly heartbeatMs: number;
  readonly maxClients?: number;
  readonly maxClientsPerUser?: number;
  readonly follower?: ChangeFollower;
  /** Default 60 s. */
  readonly followGraceMs?: number;
}

/** An event as kept for replays; its SSE text is rendered when first sent. */
interface Entry {
  readonly event: ChangeEvent;
  text: string | null;
}

interface Client {
  readonly res: ServerResponse;
  readonly requester: Requester;
  readonly user: string | null;
  readonly auids: ReadonlySet<string> | null;
  readonly global: boolean;
  readonly key: string;
}

/** Unsent bytes beyond which a client that does not read is dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export class ChangeFeed implements ChangeSink {
  readonly name = 'feed';
  readonly servesLocalClients = true;
  readonly path = FEED_PATH;
  private readonly history: Entry[] = [];
  /** The highest seq that fell out of the history (0: none). */
  private forgottenUpTo = 0;
  private lastSeq = 0;
  /**
   * Events up to this seq may have been followed incompletely (this process did not
   * follow the others' changes for a while): a client resuming from one gets a reset.
   */
  private blindUpTo = 0;
  private readonly clients = new Set<Client>();
  /** Streams waiting for the follower before they start. */
  private opening = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private unfollowTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: ChangeFeedOptions,
    metrics: Metrics,
  ) {
    metrics.gauge('xcapd_feed_clients', 'Open change feed (SSE) streams', () => this.clients.size);
    options.follower?.onMissed(() => {
      // The streams could not promise every change any more: they end, and their clients resume with a reset.
      this.blindUpTo = this.lastSeq;
      for (const client of this.clients) client.res.end();
    });
  }

  wantsPatches(): boolean {
    return this.clients.size > 0;
  }

  /** Events made while nobody listens carry etags only; a client resuming from them re-fetches. */
  wantsComponents(): boolean {
    return this.clients.size > 0;
  }

  accept(event: ChangeEvent): void {
    const entry: Entry = { event, text: null };
    this.history.push(entry);
    this.lastSeq = event.seq;
    while (this.history.length > this.options.historySize) this.forgottenUpTo = this.history.shift()!.event.seq;
    for (const client of this.clients) if (this.visible(client, event)) this.write(client, this.rendered(entry));
  }

  private rendered(entry: Entry): string {
    entry.text ??= sseEvent('xcap-diff', entry.event.id, renderXcapDiff(this.options.xcapRoot(), entry.event.fragments));
    return entry.text;
  }

  /**
   * Serves one authenticated stream. `query` is the request's query string.
   * Answers 400 for a bad `user`, 503 when too many streams are open.
   */
  serve(req: IncomingMessage, res: ServerResponse, requester: Requester, query: URLSearchParams): void {
    let user: string | null = null;
    const rawUser = query.get('user');
    if (rawUser !== null && rawUser !== '') {
      try {
        user = toXui(normalizeUserId(rawUser));
      } catch (e) {
        if (!(e instanceof InvalidUserIdError)) throw e;
        plain(res, 400, `user=${rawUser} is not a user identifier\n`);
        return;
      }
    }
    const auidList = (query.get('auid') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    const key = requester.userId ?? '';
    const perUser = [...this.clients].filter((c) => c.key === key).length;
    if (this.clients.size + this.opening >= (this.options.maxClients ?? 1000) || perUser >= (this.options.maxClientsPerUser ?? 20)) {
      res.setHeader('Retry-After', '10');
      plain(res, 503, 'too many change feed streams are open\n');
      return;
    }
    const client: Client = {
      res,
      requester,
      user,
      auids: auidList.length > 0 ? new Set(auidList) : null,
      global: query.get('global') !== '0',
      key,
    };
    const lastId = firstHeader(req.headers['last-event-id']) ?? query.get('lastEventId');
    const follower = this.options.follower;
    if (follower === undefined) {
      this.open(req, client, lastId);
      return;
    }
    this.stopUnfollowTimer();
    this.opening++;
    follower.follow().then(
      () => {
        this.opening--;
        if (res.destroyed) this.whenIdle();
        else this.open(req, client, lastId);
      },
      () => {
        this.opening--;
        this.whenIdle();
        res.setHeader('Retry-After', '1');
        plain(res, 503, 'the change feed cannot follow the other worker processes right now\n');
      },
    );
  }

  /** Starts the stream: from here on it sees every change. */
  private open(req: IncomingMessage, client: Client, lastId: string | null): void {
    const { res } = client;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': xcapd change feed\nretry: 3000\n\n');
    if (lastId !== null && lastId !== '') this.replay(client, lastId);
    this.clients.add(client);
    const drop = (): void => {
      this.clients.delete(client);
      this.whenIdle();
    };
    res.on('close', drop);
    req.socket.setTimeout(0);
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) this.write(c, `: heartbeat ${new Date().toISOString()}\n\n`);
    }, this.options.heartbeatMs);
  }

  /** With no stream left: no heartbeat, and after a grace period no following. */
  private whenIdle(): void {
    if (this.clients.size > 0 || this.opening > 0) return;
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
    const follower = this.options.follower;
    if (follower === undefined || this.unfollowTimer !== null) return;
    this.unfollowTimer = setTimeout(() => {
      this.unfollowTimer = null;
      if (this.clients.size > 0 || this.opening > 0) return;
      follower.unfollow();
      this.blindUpTo = this.lastSeq;
    }, this.options.followGraceMs ?? DEFAULT_FOLLOW_GRACE_MS);
    this.unfollowTimer.unref();
  }

  private stopUnfollowTimer(): void {
    if (this.unfollowTimer === null) return;
    clearTimeout(this.unfollowTimer);
    this.unfollowTimer = null;
  }

  private replay(client: Client, lastId: string): void {
    const m = /^(.+)-(\d+)$/.exec(lastId.trim());
    const seq = m ? Number(m[2]) : NaN;
    const known = m !== null && m[1] === this.options.boot;
    if (!known || !(seq <= this.lastSeq) || seq < this.forgottenUpTo || seq <= this.blindUpTo) {
      const why = !known
        ? 'the server restarted or the id is not one of its own'
        : seq <= this.blindUpTo
          ? 'this server process did not follow every change since that id'
          : 'the events since that id are no longer kept';
      const id = `${this.options.boot}-${this.lastSeq}`;
      this.write(client, sseEvent('reset', id, `${why}: fetch the documents again`));
      return;
    }
    for (const entry of this.history) {
      if (entry.event.seq > seq && this.visible(client, entry.event)) this.write(client, this.rendered(entry));
    }
  }

  private visible(client: Client, event: ChangeEvent): boolean {
    const { key } = event;
    if (client.auids && !client.auids.has(key.auid)) return false;
    if (key.tree === 'global' && !client.global) return false;
    if (client.user !== null && key.tree === 'users' && key.owner !== client.user) return false;
    const usage = this.options.registry.get(key.auid);
    return usage !== undefined && authorize(client.requester, key, 'read', usage);
  }

  private write(client: Client, text: string): void {
    if (client.res.writableLength > MAX_BUFFERED) {
      client.res.destroy();
      return;
    }
    client.res.write(text);
  }

  async close(): Promise<void> {
    this.stopUnfollowTimer();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }
}

/** One SSE event; every line of the data gets its own `data:` field. */
function sseEvent(type: string, id: string, data: string): string {
  const lines = data.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  return `event: ${type}\n${id === '' ? '' : `id: ${id}\n`}${lines.map((l) => `data: ${l}`).join('\n')}\n\n`;
}

function firstHeader(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
