/**
 * org.openmobilealliance.pres-rules (OMA Presence SIMPLE XDM): pres-rules with the
 * OMA common policy extensions (external-list, anonymous-request, other-identity).
 * OMA names the user's document `pres-rules` rather than `index`, and, unlike RFC
 * 5025, makes common policy the default namespace, so `ruleset/rule` needs no prefix.
 */
import type { AppUsage } from '../types.js';
import { COMMON_POLICY_NAMESPACE, PRES_RULES_NAMESPACE } from './pres-rules.js';

export const OMA_COMMON_POLICY_NAMESPACE = 'urn:oma:xml:xdm:common-policy';
export const OMA_PRES_RULES_NAMESPACE = 'urn:oma:xml:prs:pres-rules';

export const omaPresRules: AppUsage = {
  auid: 'org.openmobilealliance.pres-rules',
  mimeType: 'application/auth-policy+xml',
  defaultNamespace: COMMON_POLICY_NAMESPACE,
  namespaces: [COMMON_POLICY_NAMESPACE, PRES_RULES_NAMESPACE, OMA_COMMON_POLICY_NAMESPACE, OMA_PRES_RULES_NAMESPACE],
  schema: 'oma-pres-rules.xsd',
  defaultDocumentName: 'pres-rules',
  trees: ['users'],
};
