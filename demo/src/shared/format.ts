/** Display strings shared by the three pages, so they read the same everywhere. */
import { formatAmount, type Currency } from '@kassa/core';
import type { Messages } from '../i18n.js';
import type { Locale } from '../i18n.js';
import type { OrderView, PaymentView } from './shop.js';

/** "CN¥128.00" / "¥128.00" / "JP¥1,500": core's formatting already tells shared signs apart. */
export function money(amount: number, currency: Currency, locale: Locale): string {
  return formatAmount(amount, currency, locale);
}

export function paymentText(t: Messages, payment: PaymentView): string {
  switch (payment.status) {
    case 'idle':
      return t.statusIdle;
    case 'ready':
      return t.statusReady;
    // What a shopper reads: no codes or ids (those are in the QA panel below).
    case 'action_required':
      return t.statusAction;
    case 'succeeded':
      return t.statusSucceeded;
    case 'failed':
      return `${t.statusFailed}: ${payment.message}`;
  }
}

/** Empty for `idle`: nothing to say until a payment succeeded in the browser. */
export function orderText(t: Messages, order: OrderView): string {
  switch (order.status) {
    case 'idle':
      return '';
    case 'verifying':
      return t.orderVerifying;
    case 'verified':
      return `${t.orderVerified}: ${order.order.status}`;
    case 'unverified':
      return `${t.orderNotVerified}: ${order.order.status}`;
    case 'error':
      return order.message;
  }
}

/** `data-status` for the order line: the server's intent status once known. */
export function orderStatusAttr(order: OrderView): string {
  return order.status === 'verified' || order.status === 'unverified' ? order.order.status : order.status;
}
