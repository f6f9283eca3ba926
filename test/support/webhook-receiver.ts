/**
 * A local webhook receiver (and fake Slack incoming-webhook endpoint) on 127.0.0.1, random port:
 * records every POST and answers as the test scripts it (a status, or never).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the posted JSON without ceremony
  json: any;
  /** Whether the receiver answered it (false while it hangs). */
  answered: boolean;
}

/** What to answer the n-th request (0-based): a status, or 'hang' to never answer. */
export type HookAnswer = (n: number, hook: ReceivedHook) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Bodies' `type` (webhook) or the Slack fallback text, in arrival order. */
  answer: HookAnswer;
  close(): Promise<void>;
}

export async function startWebhookReceiver(answer: HookAnswer = () => 200): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const r: WebhookReceiver = {
    url: '',
    received,
    answer,
    close: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const hook: ReceivedHook = { path: req.url ?? '/', headers: req.headers, body, json, answered: false };
      const n = received.length;
      received.push(hook);
      const a = r.answer(n, hook);
      if (a === 'hang') return;
      hook.answered = true;
      res.writeHead(a, { 'content-type': 'text/plain' });
      res.end(a < 300 ? 'ok' : 'receiver says no');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}
