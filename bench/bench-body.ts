/** The request the bench's load sends and a JSON answer to it, as the writer benches record them. */

export const PROMPT =
  'Summarise the following notes in two sentences. ' +
  'The gateway routes each request to one of several accounts, fails over before the first byte, ' +
  'refreshes OAuth tokens ahead of expiry and records every request with its usage and cost. '.repeat(6);

/** The session id in the body's metadata, replaced per request by the kill9 scenario. */
export const SESSION_PLACEHOLDER = '00000000-0000-4000-8000-000000000000';

export function requestBody(stream: boolean): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 1024,
    stream,
    system: 'You are a concise assistant.',
    metadata: { user_id: `user_bench_account__session_${SESSION_PLACEHOLDER}` },
    messages: [{ role: 'user', content: PROMPT }],
  });
}

/** A non-streaming answer of a few sentences. */
export const JSON_ANSWER = JSON.stringify({
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'A concise answer of a few sentences. '.repeat(8) }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 320, output_tokens: 96 },
});
