/** Object id prefixes, as Stripe spells them, so ids read the same in logs and dashboards. */
export const IdPrefix = {
  PaymentIntent: 'pi',
  Token: 'tok',
  PaymentMethod: 'pm',
  Merchant: 'acct',
  Event: 'evt',
  Charge: 'ch',
  Refund: 're',
  ThreeDS: 'tds',
  BalanceTransaction: 'txn',
} as const;

export type IdPrefix = (typeof IdPrefix)[keyof typeof IdPrefix];

const ID_BODY = /^[A-Za-z0-9]{8,64}$/;

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  if (!id.startsWith(`${prefix}_`)) return false;
  return ID_BODY.test(id.slice(prefix.length + 1));
}
