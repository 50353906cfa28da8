/**
 * Payment intent statuses and the only transitions allowed between them.
 * The server enforces this table; a transition not listed here is an error.
 */
export const PaymentStatus = {
  RequiresPaymentMethod: 'requires_payment_method',
  RequiresConfirmation: 'requires_confirmation',
  RequiresAction: 'requires_action',
  Processing: 'processing',
  RequiresCapture: 'requires_capture',
  Succeeded: 'succeeded',
  Canceled: 'canceled',
  Failed: 'failed',
  Unknown: 'unknown',
} as const;

export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

export const PAYMENT_STATUSES = Object.values(PaymentStatus) as PaymentStatus[];

const S = PaymentStatus;

export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  // A payment method is attached (confirm) or the merchant gives up.
  [S.RequiresPaymentMethod]: [S.RequiresConfirmation, S.Processing, S.Canceled],
  [S.RequiresConfirmation]: [S.Processing, S.RequiresPaymentMethod, S.Canceled],
  // After 3-D Secure: passed → processing; failed or abandoned → back to choosing a method.
  [S.RequiresAction]: [S.Processing, S.RequiresPaymentMethod, S.Canceled],
  // The provider answered (authorized, declined, challenge) or did not (unknown).
  [S.Processing]: [
    S.RequiresAction,
    S.RequiresCapture,
    S.Succeeded,
    S.RequiresPaymentMethod,
    S.Failed,
    S.Unknown,
  ],
  [S.RequiresCapture]: [S.Processing, S.Succeeded, S.Canceled],
  // Recovery asks the provider what happened and settles the intent either way.
  [S.Unknown]: [S.RequiresCapture, S.Succeeded, S.RequiresPaymentMethod, S.Failed, S.RequiresAction],
  [S.Succeeded]: [],
  [S.Canceled]: [],
  [S.Failed]: [],
};

export function isPaymentStatus(value: unknown): value is PaymentStatus {
  return typeof value === 'string' && (PAYMENT_STATUSES as string[]).includes(value);
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: PaymentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Statuses from which a shopper may (re)submit a payment method. */
export const CONFIRMABLE: readonly PaymentStatus[] = [S.RequiresPaymentMethod, S.RequiresConfirmation];

/** Statuses from which the merchant may cancel. */
export const CANCELABLE: readonly PaymentStatus[] = [
  S.RequiresPaymentMethod,
  S.RequiresConfirmation,
  S.RequiresAction,
  S.RequiresCapture,
];
