/**
 * Next actions the server may ask for, as data: one entry per `next_action.type`, each saying
 * which page to frame. The element only knows "show this action's page, wait for
 * challenge_complete"; adding Alipay QR or a redirect is one more entry here. Pages must live on
 * the Kassa server's origin (the bridge's `framedUrl` refuses any other): only a page there may
 * report the outcome.
 */
import type { NextAction } from '@kassa/core/wire';

/** `framed`: the Kassa origin's URL for a page, with the frame's parameters, or null. */
type ActionHandler = (action: Record<string, unknown>, framed: (url: string) => string | null) => string | null;

const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  three_d_secure(action, framed) {
    const tds = action.three_d_secure;
    if (typeof tds !== 'object' || tds === null) return null;
    const raw = (tds as Record<string, unknown>).url;
    return typeof raw === 'string' ? framed(raw) : null;
  },
};

/** The URL to frame for this action, or null if the widget cannot perform it. */
export function actionUrl(action: NextAction | null, framed: (url: string) => string | null): string | null {
  if (!action || typeof action !== 'object') return null;
  const handler = Object.hasOwn(ACTIONS, action.type) ? ACTIONS[action.type] : undefined;
  return handler ? handler(action as unknown as Record<string, unknown>, framed) : null;
}
