import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where the server may send requests on its users' behalf (channels, webhook executors, smoke checks,
 * metric providers). Cloud metadata services and link-local addresses are refused by default: a
 * destination anyone with a channel or an environment may set must not become a way to read the
 * instance's credentials or to probe the internal network. Loopback stays allowed (local receivers).
 *
 * Operators widen it with SLIPWAY_OUTBOUND_ALLOW (wins over the defaults) and narrow it with
 * SLIPWAY_OUTBOUND_DENY (added to the defaults; wins over everything). Both take CIDR ranges, single
 * addresses and host names (`*.example.com` for a domain and its subdomains).
 */
export const DEFAULT_DENIED_RANGES: readonly string[] = [
  '169.254.0.0/16', // IPv4 link-local: AWS, GCP, Azure, OpenStack, Oracle metadata at 169.254.169.254
  'fe80::/10', // IPv6 link-local
  '100.100.100.200/32', // Alibaba Cloud metadata
  'fd00:ec2::254/128', // AWS metadata over IPv6
  '168.63.129.16/32', // Azure WireServer
  '64:ff9b::a9fe:a9fe/128', // 169.254.169.254 through NAT64
];

export const DEFAULT_DENIED_HOSTS: readonly string[] = ['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com'];

/** What a refused send reports: nothing about the destination beyond the refusal itself. */
export const REFUSED_MESSAGE = 'destination refused by outbound policy';

export class OutboundRefusedError extends Error {
  readonly code = 'outbound_refused';
  constructor(readonly reason: string) {
    super(REFUSED_MESSAGE);
    this.name = 'OutboundRefusedError';
  }
}

/** One parsed entry of an allow or deny list. */
export type OutboundRule = { kind: 'range'; address: string; prefix: number; family: 'ipv4' | 'ipv6' } | { kind: 'host'; name: string; subdomains: boolean };

/** Parses one list entry, or returns null when it is neither an address, a CIDR range nor a host name. */
export function parseOutboundRule(entry: string): OutboundRule | null {
  const text = entry.trim().toLowerCase();
  const [address, prefixText, ...rest] = text.split('/');
  if (rest.length === 0 && address) {
    const version = isIP(address);
    if (version !== 0) {
      const max = version === 4 ? 32 : 128;
      if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (prefix > max) return null;
      return { kind: 'range', address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
    }
  }
  const subdomains = text.startsWith('*.');
  const name = normaliseHost(subdomains ? text.slice(2) : text);
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name) || name.length > 253) return null;
  return { kind: 'host', name, subdomains };
}

function normaliseHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return name.replace(/\.+$/, '');
}

class RuleSet {
  private readonly ranges = new BlockList();
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(rules: readonly OutboundRule[]) {
    for (const rule of rules) {
      if (rule.kind === 'range') this.ranges.addSubnet(rule.address, rule.prefix, rule.family);
      else if (rule.subdomains) this.suffixes.push(rule.name);
      else this.exact.add(rule.name);
    }
  }

  hasAddress(address: string): boolean {
    const version = isIP(address);
    return version !== 0 && this.ranges.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }

  hasName(name: string): boolean {
    return this.exact.has(name) || this.suffixes.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
  }
}

function rulesOf(entries: readonly string[]): OutboundRule[] {
  return entries.map((entry) => {
    const rule = parseOutboundRule(entry);
    if (!rule) throw new Error(`not an address, CIDR range or host name: ${entry}`);
    return rule;
  });
}

export class OutboundPolicy {
  private readonly defaults = new RuleSet(rulesOf([...DEFAULT_DENIED_RANGES, ...DEFAULT_DENIED_HOSTS]));
  private readonly allow: RuleSet;
  private readonly deny: RuleSet;

  constructor(lists: { allow?: readonly OutboundRule[]; deny?: readonly OutboundRule[] } = {}) {
    this.allow = new RuleSet(lists.allow ?? []);
    this.deny = new RuleSet(lists.deny ?? []);
  }

  /** Why a host (a name or an address literal) is refused before any lookup, or null. */
  hostProblem(host: string): string | null {
    const name = normaliseHost(host);
    if (isIP(name) !== 0) return this.addressProblem(name, null);
    if (this.deny.hasName(name)) return `${name} is denied by SLIPWAY_OUTBOUND_DENY`;
    if (this.defaults.hasName(name) && !this.allow.hasName(name)) return `${name} is a cloud metadata host (allow it with SLIPWAY_OUTBOUND_ALLOW)`;
    return null;
  }

  /** Why an http(s) URL's destination is refused, or null (a URL that does not parse is not this policy's business). */
  urlProblem(url: string): string | null {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return null;
    }
    return this.hostProblem(host);
  }

  /** Why a resolved address is refused, or null. `name`: the host name it was resolved from (an allowed name allows its addresses). */
  addressProblem(address: string, name: string | null): string | null {
    if (this.deny.hasAddress(address)) return `${address} is denied by SLIPWAY_OUTBOUND_DENY`;
    if (this.defaults.hasAddress(address) && !this.allow.hasAddress(address) && !(name !== null && this.allow.hasName(name))) {
      return `${address} is a link-local or cloud metadata address (allow it with SLIPWAY_OUTBOUND_ALLOW)`;
    }
    return null;
  }

  /**
   * A `lookup` for node:http, node:net and tls: resolves as usual, then refuses the connection when the
   * name or any of its addresses is refused — so a name that resolves to a metadata address is caught
   * on the address actually connected to, not only on the URL's text.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const problem = this.hostProblem(hostname);
    if (problem) {
      callback(new OutboundRefusedError(problem), '', 4);
      return;
    }
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const refused = addresses.map((a) => this.addressProblem(a.address, normaliseHost(hostname))).find((p) => p !== null);
      if (refused) return callback(new OutboundRefusedError(refused), '', 4);
      if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
      callback(null, first.address, first.family);
    });
  };

  /** Resolves a host for a client that cannot take a `lookup` (SMTP): the first address, checked; OutboundRefusedError when refused. */
  resolve(host: string): Promise<string> {
    const name = normaliseHost(host);
    if (isIP(name) !== 0) {
      const problem = this.addressProblem(name, null);
      return problem ? Promise.reject(new OutboundRefusedError(problem)) : Promise.resolve(name);
    }
    return new Promise((resolve, reject) => {
      this.lookup(name, { all: false }, (error, address) => (error ? reject(error) : resolve(address as string)));
    });
  }
}

/** The policy with the defaults only (no operator lists): what code not handed a policy uses. */
export const DEFAULT_OUTBOUND_POLICY = new OutboundPolicy();

/** True when an error (or its cause) is a refusal by the outbound policy. */
export function isOutboundRefusal(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof OutboundRefusedError || (current as { code?: unknown }).code === 'outbound_refused') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
