import type { MiddlewareHandler } from 'hono';

/**
 * relscope runs queries on the user's database at the request of a browser page, so it
 * answers only requests that are addressed to it and come from its own page:
 * - the Host header must name an address relscope is bound to (defeats DNS rebinding,
 *   where evil.example resolves to 127.0.0.1 and its script calls this server);
 * - a request that runs queries or changes state (anything but GET/HEAD) must not carry a
 *   foreign Origin or a cross-site Sec-Fetch-Site (defeats cross-site form posts and
 *   "simple" fetches, which browsers send without a CORS preflight).
 */
export interface LocalOnlyOptions {
  /** Extra host names besides the loopback ones, e.g. the address given with --host. */
  extraHosts?: string[];
}

const loopbackHosts = ['localhost', '127.0.0.1', '[::1]', '::1'];

export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export function localOnly(options: LocalOnlyOptions = {}): MiddlewareHandler {
  const allowed = new Set([...loopbackHosts, ...(options.extraHosts ?? []).map((h) => hostnameOf(h.includes(':') && !h.startsWith('[') && h.split(':').length > 2 ? `[${h}]` : h))]);
  return async (c, next) => {
    // Node's HTTP server always has a Host header (HTTP/1.1 requires it); in-process
    // requests (tests) carry the host in the URL instead.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!host || !allowed.has(hostnameOf(host))) {
      return c.json({ error: `Refused: Host "${host ?? ''}" is not an address this relscope server is bound to. Open it as http://127.0.0.1 or http://localhost.` }, 403);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      if (origin && origin !== 'null') {
        let originHost = '';
        try {
          originHost = new URL(origin).hostname.toLowerCase();
        } catch {
          originHost = '';
        }
        const bracketed = originHost.includes(':') ? `[${originHost.replace(/^\[|\]$/g, '')}]` : originHost;
        if (!allowed.has(originHost) && !allowed.has(bracketed)) {
          return c.json({ error: `Refused: requests from ${origin} may not run queries here; use the relscope page itself.` }, 403);
        }
      } else if (origin === 'null') {
        return c.json({ error: 'Refused: requests from an opaque origin may not run queries here.' }, 403);
      }
      if (c.req.header('sec-fetch-site') === 'cross-site') {
        return c.json({ error: 'Refused: cross-site requests may not run queries here.' }, 403);
      }
    }
    await next();
  };
}
