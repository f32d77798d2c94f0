/**
 * Which documents a SIP presence server reads, and what it must do when one changes:
 * re-check the watchers' authorization (pres-rules) or re-send the published state
 * (pidf-manipulation). The refresh types are those of the presence modules of
 * Kamailio and OpenSIPS (`refreshWatchers` type 0 and 1).
 */
import type { ChangeEvent } from './change-event.js';

export const DEFAULT_PRESENCE_AUIDS: readonly string[] = ['pres-rules', 'org.openmobilealliance.pres-rules', 'pidf-manipulation'];

/** 0: the authorization rules changed; 1: the published state changed. */
export type RefreshType = 0 | 1;

export function refreshTypeOf(event: ChangeEvent): RefreshType {
  return event.key.auid === 'pidf-manipulation' ? 1 : 0;
}

/** The distinct refresh types a batch calls for, rules first. */
export function refreshTypes(events: readonly ChangeEvent[]): RefreshType[] {
  const types = new Set(events.map(refreshTypeOf));
  return ([0, 1] as const).filter((t) => types.has(t));
}

/** Users' documents only: the presence server has no presentity for the global tree. */
export function isPresenceChange(event: ChangeEvent, auids: readonly string[]): boolean {
  return event.key.tree === 'users' && auids.includes(event.key.auid);
}
