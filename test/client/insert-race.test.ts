/**
 * insert/replace of elements check a fetched version and then write conditioned on
 * its ETag. A proxy between the client and xcapd lets another client change the
 * document at the worst moment: after the check, before the write.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AlreadyExistsError, NotFoundError, XcapClient, selector } from '../../src/client/index.js';
import type { HttpExchange } from '../../src/client/transport.js';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const LIST = `<resource-lists xmlns="${RL}"><list name="l"><entry uri="sip:bob@example.com"/></list></resource-lists>`;
const list = selector('resource-lists').step('list', { attribute: ['name', 'l'] });

describe('insert and replace under concurrent changes', () => {
  let server: TestServer;
  let proxy: Server;
  let proxyRoot: string;
  /** Runs once, just before the next element PUT is forwarded. */
  let beforeNextElementPut: (() => Promise<void>) | null = null;
  const options = () => ({ user: 'alice@example.com', password: 'alice-secret', auth: 'basic' as const });

  before(async () => {
    server = await startTestServer({ auth: 'basic' });
    const upstream = new URL(server.origin);
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const hook = beforeNextElementPut;
        if (req.method === 'PUT' && req.url?.includes('/~~/') && hook) {
          beforeNextElementPut = null;
          await hook();
        }
        const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        forward.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyRoot = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/xcap-root`;
  });
  after(async () => {
    other?.close();
    await new Promise<void>((r) => {
      proxy.close(() => r());
      proxy.closeAllConnections();
    });
    await server.stop();
  });

  let other: XcapClient | undefined;
  beforeEach(async () => {
    other?.close();
    other = new XcapClient({ xcapRoot: server.rootUrl, ...options() });
    await other.putDocument('resource-lists', LIST, { etag: 'none' });
  });

  test('a change between the check and the write makes the write fail (412); the client checks again and succeeds', async () => {
    const seen: HttpExchange[] = [];
    const mine = new XcapClient({ xcapRoot: proxyRoot, ...options(), onExchange: (x) => seen.push(x) });
    try {
      beforeNextElementPut = async () => {
        await other!.putElement('resource-lists', list.step('entry', { attribute: ['uri', 'sip:eve@example.com'] }), '<entry uri="sip:eve@example.com"/>', { etag: 'none' });
      };
      const r = await mine.insertElement('resource-lists', list.step('entry', { attribute: ['uri', 'sip:carol@example.com'] }), '<entry uri="sip:carol@example.com"/>');
      assert.equal(r.status, 201);
      assert.deepEqual(
        seen.map((x) => `${x.request.method} ${x.response?.status}`),
        ['GET 200', 'PUT 412', 'GET 200', 'PUT 201'],
      );
      const doc = await other!.getDocument('resource-lists', { etag: 'none' });
      assert.ok(!doc.notModified && doc.body.includes('sip:eve@example.com') && doc.body.includes('sip:carol@example.com'), 'both changes are kept');
    } finally {
      mine.close();
    }
  });

  test('if the other client inserted the same element meanwhile, insert reports that it exists instead of overwriting', async () => {
    const mine = new XcapClient({ xcapRoot: proxyRoot, ...options() });
    const carol = list.step('entry', { attribute: ['uri', 'sip:carol@example.com'] });
    try {
      beforeNextElementPut = async () => {
        await other!.putElement('resource-lists', carol, '<entry uri="sip:carol@example.com"><display-name>theirs</display-name></entry>', { etag: 'none' });
      };
      await assert.rejects(mine.insertElement('resource-lists', carol, '<entry uri="sip:carol@example.com"><display-name>mine</display-name></entry>'), AlreadyExistsError);
      const el = await other!.getElement('resource-lists', carol, { etag: 'none' });
      assert.ok(!el.notModified && el.body.includes('theirs'));
    } finally {
      mine.close();
    }
  });

  test('if the element is deleted meanwhile, replace reports that it is gone instead of recreating it', async () => {
    const mine = new XcapClient({ xcapRoot: proxyRoot, ...options() });
    const bob = list.step('entry', { attribute: ['uri', 'sip:bob@example.com'] });
    try {
      beforeNextElementPut = async () => {
        await other!.deleteElement('resource-lists', bob, { etag: 'none' });
      };
      await assert.rejects(mine.replaceElement('resource-lists', bob, '<entry uri="sip:bob@example.com"/>'), NotFoundError);
      await assert.rejects(other!.getElement('resource-lists', bob, { etag: 'none' }), NotFoundError);
    } finally {
      mine.close();
    }
  });

  test('an explicit ETag is not retried: the 412 is the caller\'s', async () => {
    const mine = new XcapClient({ xcapRoot: proxyRoot, ...options() });
    try {
      const { etag } = await mine.getDocument('resource-lists', { etag: 'none' });
      beforeNextElementPut = async () => {
        await other!.putElement('resource-lists', list.step('entry', { attribute: ['uri', 'sip:x@example.com'] }), '<entry uri="sip:x@example.com"/>', { etag: 'none' });
      };
      await assert.rejects(
        mine.insertElement('resource-lists', list.step('entry', { attribute: ['uri', 'sip:y@example.com'] }), '<entry uri="sip:y@example.com"/>', { etag: etag! }),
        (e: unknown) => (e as { status?: number }).status === 412,
      );
    } finally {
      mine.close();
    }
  });
});
