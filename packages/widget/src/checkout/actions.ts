/**
 * Next actions the server may ask for, as data: one entry per `next_action.type`, saying which
 * field holds the page to frame and how long to wait for it. The element only knows "show this
 * action's page, wait for challenge_complete": a 3-D Secure challenge, and Kassa's own page for a
 * wallet (the Alipay QR code, a button that opens PayPal or Alipay's cashier in a popup), which
 * follows the payment to its end. Pages must live on the Kassa server's origin (the bridge's
 * `framedUrl` refuses any other): only a page there may report the outcome. A redirect without
 * Kassa's page is the merchant's full-page redirect flow: not the widget's (unsupported here).
 */
import type { NextAction } from '@kassa/core/wire';

/** How long an action's page may stay silent (KassaCheckout.timing). */
export interface ActionTiming {
  /** A 3-D Secure challenge; also the least any action gets. */
  challengeMs: number;
  /** A wallet's page that opens the provider's (PayPal's approval, Alipay's cashier). */
  walletMs: number;
  /** Past a QR code's `expires_at`: the page's last poll, and the server settling the expiry. */
  qrMarginMs: number;
}

/** The longest wait, whatever an `expires_at` says: a day, well inside setTimeout's range. */
const MAX_WAIT_MS = 864e5;

/** Per action type: the field of `action[type]` with the page's URL, and the wait for it. */
const ACTIONS: Readonly<Record<string, [field: string, wait: (details: Record<string, unknown>, t: ActionTiming) => number]>> = {
  three_d_secure: ['url', (_, t) => t.challengeMs],
  redirect_to_url: ['hosted_instructions_url', (_, t) => t.walletMs],
  // As long as the code is valid, and never less than a challenge (the shopper's clock may run ahead).
  display_qr_code: ['hosted_instructions_url', untilExpiry],
  // An approval in the shopper's app: the same wait, until the approval expires.
  await_notification: ['hosted_instructions_url', untilExpiry],
};

function untilExpiry(d: Record<string, unknown>, t: ActionTiming): number {
  return Math.max(t.challengeMs, Math.min(MAX_WAIT_MS, Number(d.expires_at) * 1000 - Date.now() + t.qrMarginMs) || 0);
}

/**
 * The page to frame for this action (through `framed`: the Kassa origin's URL with the frame's
 * parameters, or null) and how long to wait for it; null if the widget cannot perform it.
 */
export function actionPage(
  action: NextAction | null,
  framed: (url: string) => string | null,
  timing: ActionTiming,
): { url: string; ms: number } | null {
  const entry = action && Object.hasOwn(ACTIONS, action.type) ? ACTIONS[action.type] : undefined;
  // Untrusted input like any answer: the details may be missing or of any shape.
  const details: unknown = entry && (action as unknown as Record<string, unknown>)[action!.type];
  if (!entry || typeof details !== 'object' || details === null) return null;
  const raw = (details as Record<string, unknown>)[entry[0]];
  const url = typeof raw === 'string' && framed(raw);
  return url ? { url, ms: entry[1](details as Record<string, unknown>, timing) } : null;
}
