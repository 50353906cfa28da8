/**
 * Checkout request: what the browser may say (which products, how many, whether the demo
 * shopper is signed in) and the price the server computes from the catalogue. The browser
 * never sends an amount or a currency.
 */
import { z } from 'zod';
import { MAX_AMOUNT, type Currency } from '@kassa/core';
import { findProduct, MAX_LINES, MAX_QUANTITY } from '../src/catalogue.js';
import { badRequest, DemoError } from './errors.js';

export const checkoutRequestSchema = z
  .object({
    items: z
      .array(
        z
          .object({
            product: z.string().min(1).max(64),
            quantity: z.number().int().min(1).max(MAX_QUANTITY),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_LINES),
    /** The "signed-in shopper" toggle: the intent gets a customer and saves the card. */
    signed_in: z.boolean().default(false),
    /**
     * One id per checkout attempt, minted by the page before the click, so a retried or
     * double-sent request replays the same payment intent instead of creating a second one.
     */
    checkout_id: z.uuid().optional(),
  })
  .strict();

export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;

export interface PricedCart {
  amount: number;
  currency: Currency;
  /** `tea×1, baozi×2`: kept on the intent's metadata so the order page can list the items. */
  summary: string;
}

/** Prices a cart from the catalogue; throws a 400 DemoError naming the offending parameter. */
export function priceCart(items: CheckoutRequest['items']): PricedCart {
  const seen = new Set<string>();
  let currency: Currency | undefined;
  let amount = 0;
  items.forEach((item, index) => {
    const product = findProduct(item.product);
    if (!product) {
      throw badRequest('parameter_invalid', `No such product: ${item.product}`, `items[${index}].product`);
    }
    if (seen.has(product.id)) {
      throw badRequest('parameter_invalid', `Product ${product.id} is listed twice; send one line with its quantity.`, `items[${index}].product`);
    }
    seen.add(product.id);
    if (currency && product.currency !== currency) {
      throw badRequest(
        'parameter_invalid',
        `One payment has one currency: ${product.id} is priced in ${product.currency.toUpperCase()}, the rest of the cart in ${currency.toUpperCase()}.`,
        `items[${index}].product`,
      );
    }
    currency = product.currency;
    // Integers only: price and quantity are both integers, so the sum is exact.
    amount += product.price * item.quantity;
  });
  if (!currency) throw badRequest('parameter_missing', 'The cart is empty.', 'items');
  if (amount > MAX_AMOUNT) {
    throw new DemoError(400, {
      type: 'invalid_request_error',
      code: 'amount_too_large',
      message: `The cart total exceeds the largest amount Kassa accepts in one payment.`,
      param: 'items',
    });
  }
  return { amount, currency, summary: items.map((i) => `${i.product}×${i.quantity}`).join(', ') };
}

/** Reads the metadata summary back into lines; unknown products are kept as-is for display. */
export function parseSummary(summary: string | undefined): Array<{ product: string; quantity: number }> {
  if (!summary) return [];
  return summary.split(', ').flatMap((part) => {
    const match = /^(.+)×(\d+)$/.exec(part);
    return match?.[1] && match[2] ? [{ product: match[1], quantity: Number(match[2]) }] : [];
  });
}
