/**
 * The application usages this server offers. Adding one is adding its module to
 * `builtInAppUsages`; it then appears in xcap-caps by itself.
 */
import type { AppUsage } from './types.js';
import { omaPresRules } from './usages/oma-pres-rules.js';
import { phonebook } from './usages/phonebook.js';
import { pidfManipulation } from './usages/pidf-manipulation.js';
import { presContent } from './usages/pres-content.js';
import { presRules } from './usages/pres-rules.js';
import { resourceLists } from './usages/resource-lists.js';
import { rlsServices } from './usages/rls-services.js';
import { xcapCaps } from './usages/xcap-caps.js';
import { xcapDirectory } from './usages/xcap-directory.js';

export const builtInAppUsages: readonly AppUsage[] = [
  xcapCaps,
  resourceLists,
  rlsServices,
  presRules,
  omaPresRules,
  pidfManipulation,
  xcapDirectory,
  presContent,
  phonebook,
];

export class AppUsageRegistry {
  private readonly byAuid = new Map<string, AppUsage>();

  constructor(usages: readonly AppUsage[] = builtInAppUsages) {
    for (const usage of usages) {
      if (this.byAuid.has(usage.auid)) throw new Error(`application usage ${usage.auid} is registered twice`);
      this.byAuid.set(usage.auid, usage);
    }
  }

  get(auid: string): AppUsage | undefined {
    return this.byAuid.get(auid);
  }

  list(): readonly AppUsage[] {
    return [...this.byAuid.values()];
  }
}
