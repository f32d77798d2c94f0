/**
 * Wires the notifications a deployment asked for (config keys, README "Presence
 * servers"): the presence-server notifiers, the webhook, PUBLISH, the change feed and
 * the SIP xcap-diff subscriptions, all behind one dispatcher that the XCAP service
 * calls after every commit.
 */
import type { Logger } from 'pino';
import { AppUsageRegistry } from '../appusages/registry.js';
import { ConfigError, parseListen, type ServerConfig } from '../config.js';
import type { UserDirectory } from '../auth/user-directory.js';
import type { DocumentChange, XcapService } from '../service/xcap-service.js';
import type { Storage } from '../storage/types.js';
import { normalizeRootPath } from '../xcap/uri.js';
import { ChangeEventFactory } from './change-event.js';
import { DeliveryQueue, type DeliveryOptions, type Notifier } from './delivery-queue.js';
import { ChangeDispatcher } from './dispatcher.js';
import { ChangeFeed, type ChangeFollower } from './feed.js';
import { KamailioNotifier, type KamailioRpcMethod } from './kamailio.js';
import { Metrics } from './metrics.js';
import { OpenSipsNotifier } from './opensips.js';
import { SipPublishNotifier } from './sip-publish.js';
import { parseSipTarget, SipEndpoint } from './sip/transport.js';
import { XcapDiffSubscriptions } from './sip/xcap-diff-subscriptions.js';
import { WebhookNotifier } from './webhook.js';

export interface NotificationsOptions {
  readonly config: ServerConfig;
  readonly storage: Storage;
  readonly logger: Logger;
  readonly registry?: AppUsageRegistry;
  /** Who may subscribe over SIP; xcapd's own users by default. */
  readonly users?: UserDirectory;
  /** False in all worker processes but one: only one process can answer on the SIP port. */
  readonly sipListener?: boolean;
  /** In a worker that does not write: how the change feed comes to see the changes the others commit. */
  readonly follower?: ChangeFollower;
}

export class Notifications {
  readonly metrics = new Metrics();
  readonly dispatcher: ChangeDispatcher;
  readonly feed: ChangeFeed;
  readonly notifiers: readonly Notifier[];
  private readonly queues: DeliveryQueue[] = [];
  private rootUrl: string;
  private endpoint: SipEndpoint | null = null;
  private clientEndpoint: Promise<SipEndpoint> | null = null;
  /** The SIP xcap-diff notifier, once `start` has opened the SIP listener (null when sipListen is empty). */
  subscriptions: XcapDiffSubscriptions | null = null;

  constructor(private readonly options: NotificationsOptions) {
    const { config, logger } = options;
    const registry = options.registry ?? new AppUsageRegistry();
    this.rootUrl = `http://${config.listen}${normalizeRootPath(config.root)}`;
    const factory = new ChangeEventFactory({ registry });
    this.dispatcher = new ChangeDispatcher(factory, logger, this.metrics);
    this.feed = new ChangeFeed(
      {
        registry,
        xcapRoot: this.xcapRoot,
        historySize: config.feedHistory,
        heartbeatMs: config.feedHeartbeat * 1000,
        boot: factory.boot,
        ...(options.follower ? { follower: options.follower } : {}),
      },
      this.metrics,
    );
    this.dispatcher.add(this.feed);

    const notifiers: Notifier[] = [];
    if (config.kamailioRpcUrl !== '' || config.kamailioRefetchUrl !== '') {
      notifiers.push(
        new KamailioNotifier({
          rpcUrl: config.kamailioRpcUrl,
          rpcMethods: config.kamailioRpcMethods as KamailioRpcMethod[],
          refetchUrl: config.kamailioRefetchUrl,
          auids: config.presenceAuids,
          xcapRoot: this.xcapRoot,
        }),
      );
    }
    if (config.opensipsMiUrl !== '') {
      notifiers.push(new OpenSipsNotifier({ miUrl: config.opensipsMiUrl, command: config.opensipsMiCommand, auids: config.presenceAuids }));
    }
    if (config.sipPublishProxy !== '') {
      let proxy;
      try {
        proxy = parseSipTarget(config.sipPublishProxy);
      } catch (e) {
        throw new ConfigError(`sipPublishProxy: ${(e as Error).message}`);
      }
      notifiers.push(new SipPublishNotifier({ endpoint: () => this.sipClient(), proxy, xcapRoot: this.xcapRoot, timeoutMs: config.notifyTimeoutMs }));
    }
    if (config.webhookUrl !== '') {
      try {
        new URL(config.webhookUrl);
      } catch {
        throw new ConfigError(`webhookUrl: ${JSON.stringify(config.webhookUrl)} is not a URL`);
      }
      notifiers.push(new WebhookNotifier({ url: config.webhookUrl, secret: config.webhookSecret, xcapRoot: this.xcapRoot }));
    }
    const delivery: DeliveryOptions = {
      batchMs: config.notifyBatchMs,
      attempts: Math.max(1, Math.floor(config.notifyAttempts)),
      backoffMs: 500,
      timeoutMs: config.notifyTimeoutMs,
    };
    for (const notifier of notifiers) {
      const queue = new DeliveryQueue(notifier, delivery, logger, this.metrics);
      this.queues.push(queue);
      this.dispatcher.add(queue);
    }
    this.notifiers = notifiers;
  }

  readonly onChange = (change: DocumentChange): void => this.dispatcher.onChange(change);

  /** A change another worker process of this server committed: for the feed and SIP subscriptions only. */
  readonly onRelayedChange = (change: DocumentChange): void => this.dispatcher.onRelayedChange(change);

  readonly xcapRoot = (): string => this.options.config.publicRoot || this.rootUrl;

  /** Once the HTTP server listens: its URL, and the service the SIP subscriptions resolve URIs with. */
  async start(running: { rootUrl: string; service: XcapService }): Promise<void> {
    this.rootUrl = running.rootUrl;
    const { config, storage, logger } = this.options;
    if (config.sipListen === '' || this.options.sipListener === false) return;
    const { host, port } = parseListen(config.sipListen, 'sipListen');
    this.endpoint = await SipEndpoint.open({
      host,
      port,
      ...(config.sipAdvertise ? { advertise: config.sipAdvertise } : {}),
      onError: (e, peer) => logger.debug({ err: e.message, peer: peer && `${peer.transport}:${peer.address}:${peer.port}` }, 'SIP message dropped'),
    });
    const subscriptions = new XcapDiffSubscriptions({
      endpoint: this.endpoint,
      storage,
      ...(this.options.users ? { users: this.options.users } : {}),
      registry: running.service.registry,
      resolve: (uri) => running.service.resolve(uri),
      xcapRoot: this.xcapRoot,
      rootPath: normalizeRootPath(config.root),
      auth: config.auth === 'none' ? 'none' : (config.sipAuth as 'digest' | 'none'),
      ...(config.realm ? { realm: config.realm } : {}),
      ...(config.digestSecret ? { digestSecret: Buffer.from(config.digestSecret, 'utf8') } : {}),
      trustedProxies: config.trustedProxies,
      maxExpires: config.sipMaxExpires,
      minNotifyIntervalMs: config.sipNotifyInterval * 1000,
      notifyTimeoutMs: config.notifyTimeoutMs,
      logger,
      metrics: this.metrics,
    });
    this.endpoint.onRequest = (request, peer) => subscriptions.handleRequest(request, peer);
    this.subscriptions = subscriptions;
    this.dispatcher.add(subscriptions);
    logger.info({ sip: `${host}:${this.endpoint.port}` }, `xcap-diff SIP subscriptions on udp/tcp ${host}:${this.endpoint.port}`);
  }

  /** The SIP listener's port (0 when there is none). */
  get sipPort(): number {
    return this.endpoint?.port ?? 0;
  }

  /** PUBLISH goes out through the SIP listener, or through an endpoint of its own when there is none. */
  private sipClient(): Promise<SipEndpoint> {
    if (this.endpoint) return Promise.resolve(this.endpoint);
    this.clientEndpoint ??= SipEndpoint.open({ host: '0.0.0.0', port: 0, tcp: false });
    return this.clientEndpoint;
  }

  /** Resolves once every change so far has been delivered or given up. */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
    await this.endpoint?.close();
    if (this.clientEndpoint) await (await this.clientEndpoint).close();
  }
}
