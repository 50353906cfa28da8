/**
 * A module resolve hook (registered by bin.ts) that adds the `kassa-dist` export condition to
 * every resolution, so `@kassa/*` imports reach the packages' built JavaScript (see bin.ts).
 */
import type { ResolveHook } from 'node:module';

export const CONDITION = 'kassa-dist';

export const resolve: ResolveHook = (specifier, context, nextResolve) =>
  nextResolve(specifier, { ...context, conditions: [...context.conditions, CONDITION] });
