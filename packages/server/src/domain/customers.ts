/**
 * Customers and their payment methods, Stripe-shaped: a customer is the merchant's record of a
 * shopper (no card data in it); payment methods are saved cards attached to one customer, or
 * detached for good. An intent's `customer` must name a customer that exists and is not deleted.
 */
import type { CustomerFields } from '@kassa/core/wire';
import type { Store } from '../store/port.js';
import { StoreConflict } from '../store/port.js';
import type { CustomerRecord, Journal, PaymentMethodRecord } from './model.js';
import { addressRecord, boundedMetadata, mergeMetadata, shippingRecord } from './records.js';
import type { CardVault, Clock, FaultPoints } from './ports.js';
import { detectBrand } from '@kassa/core';
import { NO_FAULTS } from './ports.js';
import { journalStep, recorded } from './journal.js';
import type { Page, PageQuery } from '../store/pages.js';
import { FailureKind, KassaError, invalidParam, notFound } from './errors.js';
import { newId } from './ids.js';

/** Stripe's update semantics: absent keeps the value, '' unsets it, anything else replaces it. */
function patched<T, I>(current: T | null, input: I | '' | undefined, map: (value: I) => T): T | null {
  if (input === undefined) return current;
  if (input === '') return null;
  return map(input);
}

const same = <T>(v: T): T => v;

export interface CustomerDeps {
  store: Store;
  clock: Clock;
  vault: CardVault;
  /** Stripe's test payment methods (`pm_card_visa`, …): the sandbox card each stands for, else null. */
  testCard?: (id: string) => string | null;
  isLive: (merchantId: string) => boolean;
  faults?: FaultPoints;
}

export class Customers {
  private readonly store: Store;
  private readonly clock: Clock;
  readonly #d: CustomerDeps;
  readonly #faults: FaultPoints;

  constructor(deps: CustomerDeps) {
    this.#d = deps;
    this.store = deps.store;
    this.clock = deps.clock;
    this.#faults = deps.faults ?? NO_FAULTS;
  }

  async create(merchantId: string, input: CustomerFields, j?: Journal): Promise<CustomerRecord> {
    // Resumed: the first run made the customer; it is never made twice.
    if (j?.objectId) return this.retrieve(merchantId, j.objectId);
    const now = this.clock.now();
    // What to attach is checked before anything is written: a bad payment_method creates nothing.
    const pm = input.payment_method ? await this.attachable(merchantId, input.payment_method, 'payment_method') : null;
    // Stripe test code names the test payment method twice: its default is the one just made.
    const defaultPm = input.invoice_settings?.default_payment_method === input.payment_method ? pm?.id : input.invoice_settings?.default_payment_method;
    if (defaultPm && defaultPm !== pm?.id) {
      throw invalidParam('invoice_settings[default_payment_method]', 'The default payment method must be one attached to this customer.');
    }
    const customer: CustomerRecord = {
      id: newId('cus'),
      merchantId,
      livemode: this.#d.isLive(merchantId),
      email: patched(null, input.email, same),
      name: patched(null, input.name, same),
      description: patched(null, input.description, same),
      phone: patched(null, input.phone, same),
      metadata: input.metadata ?? {},
      address: patched(null, input.address, addressRecord),
      shipping: patched(null, input.shipping, shippingRecord),
      defaultPaymentMethod: defaultPm || null,
      deleted: false,
      created: now,
      updated: now,
    };
    const write = journalStep(j, 'object_written', { objectId: customer.id });
    await this.write(() => this.store.insertCustomer(customer, { attach: pm?.id, journal: write }));
    recorded(j, write);
    return customer;
  }

  /** A customer, or a deleted one (Stripe answers `{ id, deleted: true }` for those). */
  async retrieve(merchantId: string, id: string): Promise<CustomerRecord> {
    const customer = await this.store.getCustomer(merchantId, id);
    if (!customer) throw notFound('customer', id);
    return customer;
  }

  /** The customer an intent or a payment method names: must exist and not be deleted. */
  async existing(merchantId: string, id: string, param: string): Promise<CustomerRecord> {
    const customer = await this.store.getCustomer(merchantId, id);
    if (!customer || customer.deleted) throw notFound('customer', id, param);
    return customer;
  }

  async update(merchantId: string, id: string, input: CustomerFields, j?: Journal): Promise<CustomerRecord> {
    if (j?.objectId) return this.retrieve(merchantId, j.objectId);
    const current = await this.existing(merchantId, id, 'id');
    const attach = input.payment_method ? (await this.attachable(merchantId, input.payment_method, 'payment_method')).id : undefined;
    let defaultPaymentMethod = current.defaultPaymentMethod;
    const named = input.invoice_settings?.default_payment_method;
    const requested = named !== undefined && named === input.payment_method ? attach : named;
    if (requested === '') defaultPaymentMethod = null;
    else if (requested !== undefined) {
      const pm = requested === attach ? { customer: id } : await this.store.getPaymentMethod(merchantId, requested);
      if (!pm || pm.customer !== id) {
        throw invalidParam('invoice_settings[default_payment_method]', 'The default payment method must be one attached to this customer.');
      }
      defaultPaymentMethod = requested;
    }
    const next: CustomerRecord = {
      ...current,
      email: patched(current.email, input.email, same),
      name: patched(current.name, input.name, same),
      description: patched(current.description, input.description, same),
      phone: patched(current.phone, input.phone, same),
      // Stripe merges metadata keys; an empty value removes a key.
      metadata: input.metadata ? boundedMetadata(mergeMetadata(current.metadata, input.metadata)) : current.metadata,
      address: patched(current.address, input.address, addressRecord),
      shipping: patched(current.shipping, input.shipping, shippingRecord),
      defaultPaymentMethod,
      updated: this.clock.now(),
    };
    const write = journalStep(j, 'object_written', { objectId: id });
    await this.write(() => this.store.updateCustomer(next, { attach, journal: write }));
    recorded(j, write);
    return next;
  }

  async delete(merchantId: string, id: string): Promise<void> {
    await this.existing(merchantId, id, 'id');
    await this.store.deleteCustomer(merchantId, id, this.clock.now());
  }

  // ---- payment methods ----

  async paymentMethod(merchantId: string, id: string): Promise<PaymentMethodRecord> {
    const pm = await this.store.getPaymentMethod(merchantId, id);
    if (!pm) throw notFound('payment_method', id);
    return pm;
  }

  async attach(merchantId: string, id: string, customer: string, j?: Journal): Promise<PaymentMethodRecord> {
    if (j?.objectId) return this.paymentMethod(merchantId, j.objectId);
    await this.existing(merchantId, customer, 'customer');
    const pm = await this.attachable(merchantId, id, 'id', customer);
    if (pm.customer === customer) return pm;
    const write = journalStep(j, 'object_written', { objectId: pm.id });
    if (!(await this.write(() => this.store.attachPaymentMethod(merchantId, pm.id, customer, write)))) throw this.notAttachable(id, 'id');
    recorded(j, write);
    return { ...pm, customer };
  }

  async detach(merchantId: string, id: string, j?: Journal): Promise<PaymentMethodRecord> {
    if (j?.objectId) return this.paymentMethod(merchantId, j.objectId);
    const pm = await this.paymentMethod(merchantId, id);
    const now = this.clock.now();
    const write = journalStep(j, 'object_written', { objectId: id });
    if (pm.customer === null || !(await this.write(() => this.store.detachPaymentMethod(merchantId, id, now, write)))) {
      throw new KassaError(FailureKind.InvalidState, 'payment_method_unexpected_state', 'The payment method is not attached to a customer.', {
        param: 'id',
      });
    }
    recorded(j, write);
    return { ...pm, customer: null, detached: now };
  }

  async setMetadata(merchantId: string, id: string, metadata: Record<string, string>, j?: Journal): Promise<PaymentMethodRecord> {
    if (j?.objectId) return this.paymentMethod(merchantId, j.objectId);
    const pm = await this.paymentMethod(merchantId, id);
    const merged = boundedMetadata(mergeMetadata(pm.metadata, metadata));
    const write = journalStep(j, 'object_written', { objectId: id });
    await this.write(() => this.store.setPaymentMethodMetadata(merchantId, id, merged, write));
    recorded(j, write);
    return { ...pm, metadata: merged };
  }

  async list(merchantId: string, filter: { email?: string | undefined }, query: PageQuery): Promise<Page<CustomerRecord>> {
    return this.store.listCustomers(merchantId, filter, query);
  }

  async pagePaymentMethods(merchantId: string, customer: string, query: PageQuery): Promise<Page<PaymentMethodRecord>> {
    await this.existing(merchantId, customer, 'customer');
    return this.store.listPaymentMethodsPage(merchantId, customer, query);
  }

  async listPaymentMethods(merchantId: string, customer: string): Promise<PaymentMethodRecord[]> {
    await this.existing(merchantId, customer, 'customer');
    return this.store.listPaymentMethods(merchantId, customer);
  }

  /** One write, with crash points around it; a lost race on the payment method is a clear 400. */
  private async write<T>(run: () => Promise<T>): Promise<T> {
    this.#faults.reach('before:object');
    let result: T;
    try {
      result = await run();
    } catch (error) {
      if (error instanceof StoreConflict && error.reason === 'payment_method_unavailable') throw this.notAttachable('', 'payment_method');
      if (error instanceof StoreConflict && error.reason === 'lock_lost') {
        throw new KassaError(FailureKind.IdempotencyInFlight, 'idempotency_key_in_use', 'Another request took over this Idempotency-Key.');
      }
      throw error;
    }
    this.#faults.reach('after:object');
    return result;
  }

  /**
   * A payment method that may be attached: unattached and never detached (or already attached
   * to `alreadyTo`). A Stripe test id (`pm_card_visa`) is made into a new one, as Stripe does.
   */
  private async attachable(merchantId: string, id: string, param: string, alreadyTo?: string): Promise<PaymentMethodRecord> {
    // Stripe's test ids stand for sandbox cards: test mode only.
    const digits = this.#d.isLive(merchantId) ? null : (this.#d.testCard?.(id) ?? null);
    if (digits !== null && id.startsWith('pm_')) {
      const year = new Date(this.clock.now()).getUTCFullYear() + 5;
      return this.#d.vault.createPaymentMethod(merchantId, { digits, brand: detectBrand(digits), expMonth: 12, expYear: year }, false);
    }
    const pm = await this.store.getPaymentMethod(merchantId, id);
    if (!pm) throw notFound('payment_method', id, param);
    if (alreadyTo !== undefined && pm.customer === alreadyTo) return pm;
    if (pm.customer !== null || pm.detached !== null) throw this.notAttachable(id, param);
    return pm;
  }

  private notAttachable(id: string, param: string): KassaError {
    return new KassaError(
      FailureKind.InvalidState,
      'payment_method_unexpected_state',
      `The payment method ${id ? `${id} ` : ''}is attached to a customer, or was detached from one, and cannot be attached.`,
      { param },
    );
  }
}
