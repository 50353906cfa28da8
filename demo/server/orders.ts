/**
 * The two stories the demo backend tells:
 *  - checkout: price the cart from the catalogue, create a payment intent on Kassa with the
 *    secret key (idempotently), hand the page only the client secret;
 *  - order: ask Kassa what happened to a payment. The page's own "succeeded" event is a good
 *    hint for the UI, but only the server's answer decides whether an order is paid.
 */
import { randomUUID } from 'node:crypto';
import { hasPrefix } from '@kassa/core';
import type { CheckoutResult, Order } from '../src/api-types.js';
import { parseSummary, priceCart, type CheckoutRequest } from './checkout.js';
import { DemoError } from './errors.js';
import type { KassaClient, PaymentIntent } from './kassa.js';

/** The demo's signed-in shopper: the shop's own reference for it, never a name or an email. */
export const DEMO_SHOPPER = 'demo-shopper-1';
/** Marks intents this demo created, so the order page shows nothing else of the merchant's. */
const SOURCE = 'kassa-demo';


export async function checkout(kassa: KassaClient, request: CheckoutRequest): Promise<CheckoutResult> {
  const cart = priceCart(request.items);
  // Kassa keeps the shopper as a customer (cus_…), made the first time they check out signed in.
  const customer = request.signed_in ? await kassa.customerFor(DEMO_SHOPPER, 'Demo shopper') : null;
  const intent = await kassa.createPaymentIntent(
    {
      amount: cart.amount,
      currency: cart.currency,
      description: 'Kassa demo order',
      metadata: { source: SOURCE, cart: cart.summary },
      ...(customer ? { customer, setup_future_usage: 'on_session' as const } : {}),
    },
    `demo-checkout:${request.checkout_id ?? randomUUID()}`,
  );
  return {
    client_secret: intent.client_secret,
    payment_intent: {
      id: intent.id,
      amount: intent.amount,
      currency: intent.currency,
      status: intent.status,
      customer: intent.customer,
    },
    order_url: `/order/${intent.id}`,
  };
}

export function toOrder(intent: PaymentIntent): Order {
  return {
    id: intent.id,
    status: intent.status,
    paid: intent.status === 'succeeded',
    amount: intent.amount,
    amount_received: intent.amount_received,
    currency: intent.currency,
    customer: intent.customer,
    items: parseSummary(intent.metadata.cart),
    last_payment_error: intent.last_payment_error
      ? {
          code: intent.last_payment_error.code,
          message: intent.last_payment_error.message,
          ...(intent.last_payment_error.decline_code ? { decline_code: intent.last_payment_error.decline_code } : {}),
        }
      : null,
  };
}

const orderMissing = (): DemoError =>
  new DemoError(404, { type: 'invalid_request_error', code: 'resource_missing', message: 'No such order.' });

/** Looks an order up on Kassa; 404 for anything this demo did not create. */
export async function findOrder(kassa: KassaClient, id: string): Promise<Order> {
  if (!hasPrefix(id, 'pi')) throw orderMissing();
  const intent = await kassa.retrievePaymentIntent(id);
  if (intent.metadata.source !== SOURCE) throw orderMissing();
  return toOrder(intent);
}
