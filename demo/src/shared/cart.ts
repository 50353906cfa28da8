/** The cart as plain data (kept in sessionStorage, so it survives moving between pages). */
import type { Currency } from '@kassa/core';
import { findProduct, MAX_LINES, MAX_QUANTITY, type Product } from '../catalogue.js';

export interface CartLine {
  product: string;
  quantity: number;
}

export type Cart = readonly CartLine[];

/** The currency of the cart, or null when empty. One payment, one currency. */
export function cartCurrency(cart: Cart): Currency | null {
  for (const line of cart) {
    const product = findProduct(line.product);
    if (product) return product.currency;
  }
  return null;
}

export function canAdd(cart: Cart, product: Product): boolean {
  const currency = cartCurrency(cart);
  if (currency !== null && currency !== product.currency) return false;
  const line = cart.find((l) => l.product === product.id);
  return line ? line.quantity < MAX_QUANTITY : cart.length < MAX_LINES;
}

export function addToCart(cart: Cart, product: Product): Cart {
  if (!canAdd(cart, product)) return cart;
  const line = cart.find((l) => l.product === product.id);
  return line
    ? cart.map((l) => (l === line ? { ...l, quantity: l.quantity + 1 } : l))
    : [...cart, { product: product.id, quantity: 1 }];
}

export function removeFromCart(cart: Cart, productId: string): Cart {
  return cart.filter((l) => l.product !== productId);
}

export function cartCount(cart: Cart): number {
  return cart.reduce((n, l) => n + l.quantity, 0);
}

/** For display only: the server prices the cart again from its own catalogue. */
export function cartTotal(cart: Cart): { amount: number; currency: Currency } | null {
  const currency = cartCurrency(cart);
  if (!currency) return null;
  const amount = cart.reduce((sum, l) => sum + (findProduct(l.product)?.price ?? 0) * l.quantity, 0);
  return { amount, currency };
}

const KEY = 'kassa-demo-cart';

export function loadCart(): Cart {
  try {
    const raw: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((l: unknown) => {
      const line = l as Partial<CartLine>;
      const product = typeof line.product === 'string' ? findProduct(line.product) : undefined;
      const quantity = line.quantity;
      return product && typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 1 && quantity <= MAX_QUANTITY
        ? [{ product: product.id, quantity }]
        : [];
    });
  } catch {
    return [];
  }
}

export function saveCart(cart: Cart): void {
  sessionStorage.setItem(KEY, JSON.stringify(cart));
}
