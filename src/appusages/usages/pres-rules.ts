/**
 * pres-rules (RFC 5025): presence authorization rules, written in common policy
 * (RFC 4745) with the presence-specific actions and transformations.
 */
import type { AppUsage } from '../types.js';

export const COMMON_POLICY_NAMESPACE = 'urn:ietf:params:xml:ns:common-policy';
export const PRES_RULES_NAMESPACE = 'urn:ietf:params:xml:ns:pres-rules';

export const presRules: AppUsage = {
  auid: 'pres-rules',
  mimeType: 'application/auth-policy+xml',
  // RFC 5025 §9.3 makes pres-rules' own namespace the default, although the root
  // <ruleset> is common policy's: selectors name it with a prefix (cr:ruleset).
  defaultNamespace: PRES_RULES_NAMESPACE,
  namespaces: [COMMON_POLICY_NAMESPACE, PRES_RULES_NAMESPACE],
  schema: 'pres-rules.xsd',
  defaultDocumentName: 'index',
  trees: ['users'],
};
