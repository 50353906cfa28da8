/**
 * A provider's answers are untrusted input, like a request body: they are parsed before the
 * domain acts on them, so a malformed answer is a provider fault, never a wrong charge.
 */
import { z } from 'zod';
import { DeclineCode } from '@kassa/core';
import { amountSchema } from '@kassa/core/wire';
import type { AuthorizeOutcome, CancelOutcome, CaptureOutcome, RefundOutcome } from './ports.js';

const declineCode = z.enum(Object.values(DeclineCode) as [DeclineCode, ...DeclineCode[]]);
const reference = z.string().min(1).max(255);
const declined = z
  .object({ status: z.literal('declined'), declineCode, message: z.string().max(500).optional(), rawCode: z.string().min(1).max(100).optional() })
  .strict();

const authorizeOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('authorized'), reference, amount: amountSchema }).strict(),
  z.object({ status: z.literal('captured'), reference, amount: amountSchema }).strict(),
  z
    .object({
      status: z.literal('requires_action'),
      reference,
      action: z.union([
        z
          .object({
            type: z.literal('three_d_secure'),
            url: z.url({ protocol: /^https?$/ }).max(2048),
            redirectUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
          })
          .strict(),
        z.object({ type: z.literal('redirect'), url: z.url({ protocol: /^https?$/ }).max(4096), method: z.literal('GET').optional() }).strict(),
        z
          .object({
            type: z.literal('redirect'),
            url: z.url({ protocol: /^https?$/ }).max(4096),
            method: z.literal('POST'),
            fields: z.record(z.string().min(1).max(100), z.string().max(8192)).refine((f) => Object.keys(f).length <= 40, 'at most 40 fields'),
          })
          .strict(),
        z.object({ type: z.literal('qr_code'), data: z.string().min(1).max(2048), expiresAt: z.number().int().positive() }).strict(),
        z.object({ type: z.literal('await_notification'), expiresAt: z.number().int().positive() }).strict(),
      ]),
    })
    .strict(),
  z.object({ status: z.literal('pending'), reference }).strict(),
  declined.extend({ reference: reference.optional() }),
]);

const captureOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('captured'), amount: amountSchema, reference: reference.optional(), warning: z.string().min(1).max(1000).optional() }).strict(),
  declined.extend({ status: z.literal('failed') }),
]);

const refundOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('succeeded'), amount: amountSchema, reference: reference.optional() }).strict(),
  declined.extend({ status: z.literal('failed') }),
]);

const cancelOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('canceled') }).strict(),
  declined.extend({ status: z.literal('failed') }),
]);

export class MalformedProviderAnswer extends Error {}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new MalformedProviderAnswer(`provider sent a malformed ${what} answer`);
  return result.data;
}

export const parseAuthorizeOutcome = (v: unknown): AuthorizeOutcome => parse(authorizeOutcome, v, 'authorize') as AuthorizeOutcome;
export const parseCaptureOutcome = (v: unknown): CaptureOutcome => parse(captureOutcome, v, 'capture') as CaptureOutcome;
export const parseCancelOutcome = (v: unknown): CancelOutcome => parse(cancelOutcome, v, 'cancel') as CancelOutcome;
export const parseRefundOutcome = (v: unknown): RefundOutcome => parse(refundOutcome, v, 'refund') as RefundOutcome;
