import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * relscope runs queries on the user's database at the request of a browser page, so it
 * answers only requests that are addressed to it and come from its own page:
 * - the Host header must name an address relscope is bound to (defeats DNS rebinding,
 *   where evil.example resolves to 127.0.0.1 and its script calls this server);
 * - a request that runs queries or changes state (anything but GET/HEAD) must come from
 *   relscope's own origin exactly (scheme, host and port: a page served by another local dev
 *   server on another port is another origin), must not say Sec-Fetch-Site cross-site or
 *   same-site, and must be `Content-Type: application/json`, which browsers never send
 *   cross-origin without a CORS preflight (that relscope does not answer); text/plain,
 *   form and multipart bodies ("simple" requests) are refused with 415.
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

/** "host:port" as a browser writes it in an Origin: lower case, default port 80 left out. */
function normalHostPort(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  return value.endsWith(':80') ? value.slice(0, -3) : value;
}

/** Body types a query-running request may carry; both need a CORS preflight cross-origin. */
const queryBodyTypes = ['application/json', 'application/x-ndjson'];

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
      if (origin === 'null') return c.json({ error: 'Refused: requests from an opaque origin may not run queries here.' }, 403);
      if (origin !== undefined) {
        // relscope serves plain http; its page's origin is http://<the Host it was opened with>.
        const own = `http://${normalHostPort(host)}`;
        let given = '';
        try {
          const parsed = new URL(origin);
          given = `${parsed.protocol}//${normalHostPort(parsed.host)}`;
        } catch {
          given = '';
        }
        if (given !== own || origin.trim().toLowerCase().replace(/\/$/, '') !== given) {
          return c.json({ error: `Refused: requests from ${origin} may not run queries here; only this server's own page (${own}) may.` }, 403);
        }
      }
      const site = c.req.header('sec-fetch-site')?.trim().toLowerCase();
      if (site && site !== 'same-origin' && site !== 'none') {
        return c.json({ error: `Refused: ${site} requests may not run queries here; use the relscope page itself.` }, 403);
      }
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!queryBodyTypes.includes(type)) {
        return c.json({ error: `Refused: a request that runs queries must be sent as Content-Type: application/json, got ${type ? `"${type}"` : 'none'}.` }, 415);
      }
    }
    await next();
  };
}

/** Default largest request body: a comparison request is a few kilobytes. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** Request bodies over `maxBytes` are refused with 413 before they are read into memory. */
export function limitBody(maxBytes = defaultMaxBodyBytes): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `Request body too large: the limit is ${maxBytes.toLocaleString('en-US')} bytes (relscope serve --max-body BYTES raises it).` }, 413),
  });
}
