/**
 * `Stripe-Version`: the API version a Stripe client asks for. Kassa answers in one shape, that
 * of Stripe's API from 2022-11-15 (when a PaymentIntent's charges became `latest_charge`) up to
 * the newest version it is tested against with the official SDK. A version in that range is
 * accepted and echoed; one outside it, or one that is not a version at all, is a clear 400 —
 * never answered in a shape the client does not expect.
 */
import type { RequestHandler } from 'express';
import { FailureKind, KassaError } from '../domain/errors.js';

export const OLDEST_STRIPE_VERSION = '2022-11-15';
/** The stripe SDK version the tests run (stripe-node 23: its ApiVersion). */
export const NEWEST_STRIPE_VERSION = '2026-10-28.endive';

/** What a version looks like: a date, and the release's name since 2024 (`.acacia`). Also the OpenAPI document's pattern. */
export const STRIPE_VERSION_PATTERN = /^(\d{4}-\d{2}-\d{2})(\.[a-z]+)?$/;

export const stripeVersion: RequestHandler = (req, res, next) => {
  const asked = req.get('Stripe-Version');
  if (asked === undefined) {
    res.set('Stripe-Version', NEWEST_STRIPE_VERSION);
    next();
    return;
  }
  const m = STRIPE_VERSION_PATTERN.exec(asked.trim());
  const date = m?.[1];
  if (!date || Number.isNaN(Date.parse(date))) {
    throw new KassaError(FailureKind.InvalidRequest, 'api_version_unsupported', 'Invalid Stripe-Version: expected a version like 2026-10-28 or 2026-10-28.endive.', {
      param: 'Stripe-Version',
    });
  }
  if (date < OLDEST_STRIPE_VERSION || date > NEWEST_STRIPE_VERSION.slice(0, 10)) {
    throw new KassaError(
      FailureKind.InvalidRequest,
      'api_version_unsupported',
      `Kassa speaks Stripe API versions from ${OLDEST_STRIPE_VERSION} to ${NEWEST_STRIPE_VERSION}; ${asked.slice(0, 40)} is not one of them.`,
      { param: 'Stripe-Version' },
    );
  }
  res.set('Stripe-Version', asked.trim());
  next();
};
