/**
 * Small record rules the use cases share: Stripe's metadata update and its limit, and addresses
 * as Stripe shows them (every field present, null when not given).
 */
import type { AddressInput, ShippingInput } from '@kassa/core/wire';
import type { AddressRecord, ShippingRecord } from './model.js';
import { invalidParam } from './errors.js';

/** Stripe's metadata update: keys are merged, and a key sent with '' is removed. */
export function mergeMetadata(current: Record<string, string>, update: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Merged metadata keeps Stripe's limit of 50 keys. */
export function boundedMetadata(metadata: Record<string, string>): Record<string, string> {
  if (Object.keys(metadata).length > 50) throw invalidParam('metadata', 'Invalid metadata: at most 50 metadata keys');
  return metadata;
}

export function addressRecord(input: AddressInput): AddressRecord {
  return {
    line1: input.line1 ?? null,
    line2: input.line2 ?? null,
    city: input.city ?? null,
    state: input.state ?? null,
    postal_code: input.postal_code ?? null,
    country: input.country ?? null,
  };
}

export function shippingRecord(input: ShippingInput): ShippingRecord {
  return {
    name: input.name,
    phone: input.phone ?? null,
    address: addressRecord(input.address),
    carrier: input.carrier ?? null,
    tracking_number: input.tracking_number ?? null,
  };
}
