/** Shapes of the demo backend's JSON API, shared by the server and the pages. */
import type { Currency, PaymentStatus } from '@kassa/core';

/** `POST /api/checkout` body. No price, no currency: the server reads them from the catalogue. */
export interface CheckoutRequestBody {
  items: Array<{ product: string; quantity: number }>;
  signed_in?: boolean;
  checkout_id?: string;
}

/** `POST /api/checkout` → 200. */
export interface CheckoutResult {
  client_secret: string;
  payment_intent: { id: string; amount: number; currency: Currency; status: PaymentStatus; customer: string | null };
  /** The server-rendered order page for this payment. */
  order_url: string;
}

/** `GET /api/orders/:id` → 200: what Kassa says about the payment, asked by the server. */
export interface Order {
  id: string;
  status: PaymentStatus;
  /** True only when Kassa says the money was taken. */
  paid: boolean;
  amount: number;
  amount_received: number;
  currency: Currency;
  customer: string | null;
  items: Array<{ product: string; quantity: number }>;
  last_payment_error: { code: string; message: string; decline_code?: string } | null;
}

/** Every error the API returns (4xx for the caller's mistakes, 502 when Kassa is unavailable). */
export interface ApiErrorBody {
  error: { type: string; code: string; message: string; param?: string };
}
