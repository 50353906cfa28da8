/**
 * Where a live endpoint may point (SSRF). A webhook makes Kassa's server send requests to a URL
 * the merchant chose; without a policy a merchant could aim it at Kassa's own network — the
 * database's admin port, a cloud metadata service (169.254.169.254), a router. Live endpoints
 * therefore must be https and reach only public unicast addresses: loopback, private,
 * link-local, carrier-grade NAT, multicast, unspecified, reserved and documentation ranges are
 * refused, IPv4-mapped IPv6 judged as the IPv4 it maps, and NAT64 / 6to4 / Teredo (which embed an
 * IPv4 address that could be private) refused outright. Ranges come from ipaddr.js.
 *
 * The check that counts runs at delivery time, inside the connection's DNS lookup: the
 * addresses checked are the ones connected to, so a name that resolved to a public address at
 * creation and to 10.0.0.1 now (DNS rebinding) is refused now. A hostname with any refused
 * address is refused. Creation checks the same rules early, for a clear 400.
 *
 * Test mode is exempt on purpose: a merchant's development receiver is usually on localhost
 * (as with `stripe listen`).
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export type RefusalCode = 'scheme_not_allowed' | 'credentials_in_url' | 'address_not_allowed' | 'unresolvable';

/** Why a target is refused; `message` names the rule and the address class, for the merchant. */
export class TargetRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'TargetRefused';
  }
}

/** The range an address falls in if a live endpoint may not reach it (e.g. `loopback`), else null. */
export function refusedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) becomes the IPv4 it maps.
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? null : range;
}

/** Host of a URL as an address literal, brackets removed (`[::1]` → `::1`), or null for a name. */
function literalHost(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/** The rules that need no DNS: scheme, credentials, an address literal. Null: nothing refused. */
export function staticRefusal(url: URL, livemode: boolean): TargetRefused | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return new TargetRefused('scheme_not_allowed', 'The URL must be http or https.');
  }
  if (url.username !== '' || url.password !== '') {
    return new TargetRefused('credentials_in_url', 'The URL must not contain a user name or password.');
  }
  if (!livemode) return null;
  if (url.protocol !== 'https:') return new TargetRefused('scheme_not_allowed', 'A live endpoint must use https.');
  const literal = literalHost(url);
  if (literal !== null) {
    const range = refusedRange(literal);
    if (range !== null) return addressRefused(literal, range);
  }
  return null;
}

const addressRefused = (address: string, range: string) =>
  new TargetRefused('address_not_allowed', `A live endpoint may not reach ${address} (${range} address).`);

/** Checks resolved addresses; the first refused one is the answer. */
export function resolvedRefusal(addresses: readonly string[]): TargetRefused | null {
  for (const address of addresses) {
    const range = refusedRange(address);
    if (range !== null) return addressRefused(address, range);
  }
  return null;
}

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
  });

/** All the rules, DNS included (creation and update of a live endpoint). */
export async function checkTarget(url: URL, livemode: boolean, resolve: Resolver = systemResolver): Promise<TargetRefused | null> {
  const refused = staticRefusal(url, livemode);
  if (refused || !livemode || literalHost(url) !== null) return refused;
  let addresses: string[];
  try {
    addresses = await resolve(url.hostname);
  } catch {
    return new TargetRefused('unresolvable', `The host ${url.hostname} could not be resolved.`);
  }
  if (addresses.length === 0) return new TargetRefused('unresolvable', `The host ${url.hostname} has no address.`);
  return resolvedRefusal(addresses);
}

/**
 * A `lookup` for http.request that refuses what the policy refuses, on the very addresses the
 * socket then connects to (no second resolution that could answer differently). Honours
 * `all` (Node's happy-eyeballs connect asks for every address).
 */
export function guardedLookup(base: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, '', 4);
        return;
      }
      const refused = resolvedRefusal(addresses.map((a) => a.address));
      if (refused) {
        callback(refused as NodeJS.ErrnoException, '', 4);
        return;
      }
      if (options.all) (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      else {
        const first = addresses[0];
        if (!first) callback(new TargetRefused('unresolvable', `The host ${hostname} has no address.`) as NodeJS.ErrnoException, '', 4);
        else callback(null, first.address, first.family);
      }
    });
  };
}
