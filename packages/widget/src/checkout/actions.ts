/**
 * Next actions the server may ask for, as data: one entry per `next_action.type`, each saying
 * which page to frame. The element only knows "show this action's page, wait for
 * challenge_complete"; adding Alipay QR or a redirect is one more entry here.
 */
import type { NextAction } from '@kassa/core/wire';

export interface ActionContext {
  /** Kassa server origin; action pages must live there, since only it may post back. */
  server: string;
  channel: string;
  /** The merchant page's origin, where the action page posts `challenge_complete`. */
  origin: string;
  /** The shopper's language, so the bank's page speaks it too. */
  locale: string;
}

type ActionHandler = (action: Record<string, unknown>, ctx: ActionContext) => string | null;

const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  three_d_secure(action, ctx) {
    const tds = action.three_d_secure;
    if (typeof tds !== 'object' || tds === null) return null;
    const raw = (tds as Record<string, unknown>).url;
    if (typeof raw !== 'string') return null;
    let url: URL;
    try {
      url = new URL(raw, ctx.server);
    } catch {
      return null;
    }
    // A challenge page on any other origin could not be trusted to report the outcome.
    if (url.origin !== ctx.server) return null;
    for (const key of ['channel', 'origin', 'locale'] as const) url.searchParams.set(key, ctx[key]);
    return url.href;
  },
};

/** The URL to frame for this action, or null if the widget cannot perform it. */
export function actionUrl(action: NextAction | null, ctx: ActionContext): string | null {
  if (!action || typeof action !== 'object') return null;
  const handler = Object.hasOwn(ACTIONS, action.type) ? ACTIONS[action.type] : undefined;
  return handler ? handler(action as unknown as Record<string, unknown>, ctx) : null;
}
