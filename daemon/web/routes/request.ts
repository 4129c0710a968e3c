/** Small readers of a request, shared by the security middleware and the routes. */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function isUnsafe(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}

export function wantsHtml(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/html');
}

export function isForm(c: Context): boolean {
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header('content-type') ?? '');
}

/** Form fields or JSON object from the body; anything else is an empty object. */
export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (/^application\/json/i.test(type)) {
      const body: unknown = await c.req.json();
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    }
    if (isForm(c)) return (await c.req.parseBody()) as Record<string, unknown>;
  } catch {
    return {};
  }
  return {};
}

/** Only local paths are accepted as a place to go after login (no open redirects). */
export function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) && next.length < 500 ? next : '/';
}

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local'; // app.request() in tests has no socket
  }
}

export const idSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
