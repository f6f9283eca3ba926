/**
 * Requests the gateway sends through its own proxy (conversation analysis): over loopback HTTP to
 * its own listener, so they are routed, failed over, limited and recorded like any other. Each
 * carries a one-time random marker that only this process knows; `claim` consumes it, so a
 * client sending the header (or replaying one seen in a stored payload) gets nothing from it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const INTERNAL_HEADER = 'x-ccflare-internal';

/** Markers in flight at most: a bound on what a flood of analyses can hold. */
const MAX_PENDING = 64;

export class InternalCalls {
  private readonly pending = new Map<string, string>();
  private url: string | null = null;
  private announce!: (url: string) => void;
  private readonly known = new Promise<string>((resolve) => {
    this.announce = resolve;
  });

  /** The gateway's own URL, once it listens (serve.ts). */
  setSelfUrl(url: string): void {
    this.url = url;
    this.announce(url);
  }

  /** The gateway's own URL; null until it listens. */
  selfUrl(): string | null {
    return this.url;
  }

  /** Resolves with the gateway's own URL once it listens. */
  listening(): Promise<string> {
    return this.known;
  }

  /** The agent of a request this process sent itself, its marker consumed; null for any other. */
  claim(req: IncomingMessage): string | null {
    const v = req.headers[INTERNAL_HEADER];
    if (v === undefined) return null;
    const agent = typeof v === 'string' ? this.pending.get(v) : undefined;
    if (typeof v === 'string') this.pending.delete(v);
    return agent ?? null;
  }

  async post(path: string, body: string, agent: string): Promise<Response> {
    if (this.url === null) throw new Error('the gateway is not listening yet');
    if (this.pending.size >= MAX_PENDING) throw new Error('too many internal requests in flight');
    const marker = randomBytes(32).toString('hex');
    this.pending.set(marker, agent);
    try {
      return await fetch(`${this.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', [INTERNAL_HEADER]: marker },
        body,
      });
    } finally {
      this.pending.delete(marker);
    }
  }
}
