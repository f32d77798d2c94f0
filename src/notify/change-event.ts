/**
 * A committed change as the notifiers see it: which document, which ETags, and its
 * RFC 5874 reports (the `<document>` one with the patch when someone wants patches,
 * the changed element or attribute for element and attribute operations), rendered
 * once and shared by every consumer. The document texts are dropped once the reports
 * are made, so queues and the feed history hold only what they send.
 */
import { randomBytes } from 'node:crypto';
import type { AppUsageRegistry } from '../appusages/registry.js';
import type { Requester } from '../appusages/types.js';
import type { DocumentChange } from '../service/xcap-service.js';
import type { DocumentKey } from '../storage/types.js';
import { componentItem, componentSel, documentItem, documentSel, renderDiffItem, type DiffItem } from '../xcap/diff.js';
import type { DocumentSelector } from '../xcap/uri.js';

export interface ChangeEvent {
  /** Increasing within this process. */
  readonly seq: number;
  /** `<boot>-<seq>`: an SSE event id that tells a restarted server from this one. */
  readonly id: string;
  readonly at: number;
  readonly key: DocumentKey;
  /** The document as an XCAP URI names it (the owner's normalized XUI). */
  readonly document: DocumentSelector;
  /** The document's `sel` (relative to the XCAP root). */
  readonly sel: string;
  readonly previousEtag: string | null;
  readonly newEtag: string | null;
  readonly nodeSelector: string | null;
  readonly requester: Requester;
  /** The `<document>` report with the patch (when computed) and the changed component, rendered. */
  readonly fragments: readonly string[];
  /** The `<document>` report with ETags only. */
  readonly etagFragment: string;
  /** Whether `fragments` carries a patch. */
  readonly patched: boolean;
  /** The `<document>` report itself (with the patch when computed), for consumers that re-render it with their own `sel`. */
  readonly report: DiffItem;
}

export interface ChangeEventFactoryOptions {
  readonly registry: AppUsageRegistry;
  readonly maxPatchLength?: number;
  /** Largest element text reported in an `<element>` report. */
  readonly maxComponentLength?: number;
}

export class ChangeEventFactory {
  private seq = 0;
  readonly boot = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

  constructor(private readonly options: ChangeEventFactoryOptions) {}

  create(change: DocumentChange, withPatch: boolean, withComponents = true): ChangeEvent {
    const seq = ++this.seq;
    const { key } = change;
    const document: DocumentSelector = { auid: key.auid, tree: key.tree, xui: key.tree === 'users' ? key.owner : null, path: key.path };
    const sel = documentSel(document);
    const previous = change.previous && { content: change.previous.content, etag: change.previous.etag };
    const current = change.current && { content: change.current.content, etag: change.current.etag };
    const plain = documentItem(sel, previous, current, { patch: false });
    const etagFragment = renderDiffItem(plain);
    let fragments: string[] = [etagFragment];
    let patched = false;
    let report: DiffItem = plain;
    if (withPatch && previous !== null && current !== null) {
      report = documentItem(sel, previous, current, {
        patch: true,
        ...(this.options.maxPatchLength === undefined ? {} : { maxPatchLength: this.options.maxPatchLength }),
      });
      patched = report.kind === 'document' && report.patch !== null;
      fragments = [renderDiffItem(report)];
    }
    const usage = this.options.registry.get(key.auid);
    if (withComponents && change.nodeSelector !== null && usage) {
      const bindings = change.namespaceBindings ?? new Map<string, string>();
      const component = componentItem(componentSel(document, change.nodeSelector, bindings), current?.content ?? null, change.nodeSelector, {
        defaultNamespace: usage.defaultNamespace,
        namespaceBindings: bindings,
        maxContentLength: this.options.maxComponentLength ?? 64 * 1024,
      });
      if (component) fragments.push(renderDiffItem(component));
    }
    return {
      seq,
      id: `${this.boot}-${seq}`,
      at: Date.now(),
      key,
      document,
      sel,
      previousEtag: previous?.etag ?? null,
      newEtag: current?.etag ?? null,
      nodeSelector: change.nodeSelector,
      requester: change.requester,
      fragments,
      etagFragment,
      patched,
      report,
    };
  }
}

/** Whose documents these are: the owner's XUI, '' for the global tree. */
export function ownerOf(event: ChangeEvent): string {
  return event.key.tree === 'users' ? event.key.owner : '';
}
