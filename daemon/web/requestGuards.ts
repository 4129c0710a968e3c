import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Config } from '../core/config.ts';
import { operatorError, type OperatorError } from '../core/result.ts';

/**
 * Checks on every request that do not depend on the route: which host names the appliance
 * answers to (DNS rebinding), whether a state-changing request comes from the appliance's own
 * pages (scheme, host and port), and the HSTS header under TLS.
 */

/** A Host header "name:port", "[v6]:port" or "name" split into its host part, lower-cased. */
function hostPart(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * Names the UI answers to: localhost, this computer's name (and name.local), web.host when it is a
 * name, and web.allowedHosts. Any IP address is accepted: DNS rebinding needs a name the attacker
 * controls, and a page opened by address has that address as its origin.
 */
export function allowedHostNames(config: Config, machineName: string = hostname()): ReadonlySet<string> {
  const names = ['localhost', machineName, `${machineName}.local`, ...(config.web.allowedHosts ?? [])];
  if (isIP(config.web.host) === 0) names.push(config.web.host);
  return new Set(names.map((n) => n.toLowerCase().replace(/\.$/, '')));
}

export function hostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (hostHeader === undefined || hostHeader === '') return false;
  const host = hostPart(hostHeader);
  return isIP(host) !== 0 || allowed.has(host.replace(/\.$/, ''));
}

export const hostRefused = (config: Config): OperatorError =>
  operatorError(
    'host-refused',
    'The appliance does not answer to the address typed in the browser.',
    `Open the appliance by its address (for example ${config.web.tls === undefined ? 'http' : 'https'}://${hostname()}:${config.web.port}), or ask the installer to add this name to web.allowedHosts in the config file.`,
  );

/**
 * True when a state-changing request must be refused as cross-site: its Origin must be exactly
 * this server (scheme from the config, host and port from the Host header); without an Origin,
 * Sec-Fetch-Site must not name another site.
 */
export function crossSite(origin: string | undefined, secFetchSite: string | undefined, hostHeader: string, secure: boolean): boolean {
  if (origin !== undefined) {
    try {
      return new URL(origin).origin !== new URL(`${secure ? 'https' : 'http'}://${hostHeader}`).origin;
    } catch {
      return true;
    }
  }
  return secFetchSite !== undefined && secFetchSite !== 'same-origin' && secFetchSite !== 'none';
}

/** Browsers that once reached the appliance over TLS never fall back to plain HTTP (a year). */
export const hstsHeader = 'max-age=31536000';
