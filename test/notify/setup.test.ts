/**
 * The notification settings (config file, environment) and how they become
 * notifiers; the Prometheus text of /metrics.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/notify/metrics.js';
import { Notifications } from '../../src/notify/setup.js';
import type { Storage } from '../../src/storage/types.js';

const storage = {} as Storage;
const logger = pino({ level: 'silent' });

describe('notification settings', () => {
  test('from the environment, lists split on commas', () => {
    const config = loadConfig(
      {},
      {
        env: {
          XCAPD_KAMAILIO_RPC_URL: 'http://127.0.0.1:5060/RPC',
          XCAPD_KAMAILIO_RPC_METHODS: 'presence.updateWatchers, presence.refreshWatchers',
          XCAPD_KAMAILIO_REFETCH_URL: 'http://127.0.0.1:5060/xcapd/refetch?user={user}&domain={domain}',
          XCAPD_OPENSIPS_MI_URL: 'http://127.0.0.1:8888/mi',
          XCAPD_SIP_PUBLISH_PROXY: 'tcp:127.0.0.1:5060',
          XCAPD_WEBHOOK_URL: 'https://hooks.example.com/xcap',
          XCAPD_WEBHOOK_SECRET: 's',
          XCAPD_SIP_LISTEN: '0.0.0.0:5070',
          XCAPD_SIP_NOTIFY_INTERVAL: '0.5',
          XCAPD_NOTIFY_BATCH_MS: '50',
        },
      },
    );
    assert.deepEqual(config.kamailioRpcMethods, ['presence.updateWatchers', 'presence.refreshWatchers']);
    assert.equal(config.sipListen, '0.0.0.0:5070');
    assert.equal(config.sipNotifyInterval, 0.5);
    assert.equal(config.notifyBatchMs, 50);
    const n = new Notifications({ config, storage, logger });
    assert.deepEqual(n.notifiers.map((x) => x.name), ['kamailio', 'opensips', 'sip-publish', 'webhook']);
    assert.equal(n.xcapRoot(), 'http://127.0.0.1:8080/xcap-root');
  });

  test('defaults: no notifier, no SIP listener, the feed and metrics only', () => {
    const n = new Notifications({ config: { ...DEFAULT_CONFIG, publicRoot: 'https://xcap.example.com/xcap-root' }, storage, logger });
    assert.deepEqual(n.notifiers, []);
    assert.equal(n.subscriptions, null);
    assert.equal(n.xcapRoot(), 'https://xcap.example.com/xcap-root');
    assert.deepEqual(DEFAULT_CONFIG.kamailioRpcMethods, ['presence.refreshWatchers']);
  });

  test('mistakes are configuration errors', () => {
    const bad = (env: Record<string, string>): void => assert.throws(() => loadConfig({}, { env }), ConfigError);
    bad({ XCAPD_KAMAILIO_RPC_METHODS: 'presence.dropEverything' });
    bad({ XCAPD_SIP_AUTH: 'maybe' });
    bad({ XCAPD_SIP_LISTEN: 'nowhere' });
    bad({ XCAPD_FEED_HISTORY: '0' });
    assert.throws(() => new Notifications({ config: { ...DEFAULT_CONFIG, sipPublishProxy: 'http://x/' }, storage, logger }), ConfigError);
    assert.throws(() => new Notifications({ config: { ...DEFAULT_CONFIG, webhookUrl: 'not a url' }, storage, logger }), ConfigError);
  });
});

describe('metrics', () => {
  test('Prometheus text format: HELP, TYPE, sorted escaped labels, gauges read when rendered', () => {
    const m = new Metrics();
    const c = m.counter('xcapd_test_total', 'Things\ncounted');
    c.inc({ notifier: 'a"b', outcome: 'ok' });
    c.inc({ outcome: 'ok', notifier: 'a"b' }, 2);
    let depth = 3;
    m.gauge('xcapd_test_depth', 'Depth', () => depth);
    depth = 4;
    assert.equal(
      m.render(),
      '# HELP xcapd_test_total Things\\ncounted\n# TYPE xcapd_test_total counter\nxcapd_test_total{notifier="a\\"b",outcome="ok"} 3\n' +
        '# HELP xcapd_test_depth Depth\n# TYPE xcapd_test_depth gauge\nxcapd_test_depth 4\n',
    );
    assert.equal(m.value('xcapd_test_total', { outcome: 'ok', notifier: 'a"b' }), 3);
    assert.throws(() => m.counter('bad name', 'x'), RangeError);
  });
});
