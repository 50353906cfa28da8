/** Display strings shared by the three pages, so they read the same everywhere. */
import { formatAmount, type Currency } from '@kassa/core';
import type { Messages } from '../i18n.js';
import type { Locale } from '../i18n.js';
import type { OrderView, PaymentView } from './shop.js';

/** "¥128.00"; other currencies get their code too, since CNY and JPY share the ¥ sign. */
export function money(amount: number, currency: Currency, locale: Locale): string {
  const text = formatAmount(amount, currency, locale);
  return currency === 'cny' ? text : `${text} ${currency.toUpperCase()}`;
}

export function paymentText(t: Messages, payment: PaymentView): string {
  switch (payment.status) {
    case 'idle':
      return t.statusIdle;
    case 'ready':
      return t.statusReady;
    case 'action_required':
      return `${t.statusAction}: ${payment.action}`;
    case 'succeeded':
      return `${t.statusSucceeded} · ${payment.intentId}`;
    case 'failed':
      return `${t.statusFailed}: ${payment.message} (${payment.code})`;
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
