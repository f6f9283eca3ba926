/**
 * Closing the connection of a request whose body is refused unread. Node's server otherwise reads
 * such a body to its end to reach the next request on the connection: after a 413, a 10 GB
 * Content-Length was drained at 7 GB in 8 s and ~1.7 cores; a 401 or a browser-guard 403 answered
 * before the body is read drained it the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Time for a refused client to read its answer before its socket is closed (Go's net/http waits as long: rstAvoidanceDelay). */
export const RESET_AVOIDANCE_MS = 500;

/**
 * Bodies below this are left to Node to read on (cheap, and the connection stays alive for the
 * client's next request); a larger or unannounced (chunked) one closes the connection.
 */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads no more of a refused body and closes its connection in stages (RFC 9112 section 9.6). Node's
 * server ends an answer sent with `connection: close` through the socket's `destroySoon`: FIN, then
 * the socket destroyed as soon as that is out, which resets a connection whose client is still
 * sending, and the reset can beat the answer to the client (a Node client writing a chunked 64 MB
 * body got EPIPE instead of its 413 in 3 of 5 runs). Here the socket goes `RESET_AVOIDANCE_MS`
 * after the FIN (5 of 5 got the 413). The answer must carry `connection: close`.
 */
export function closeInStages(req: IncomingMessage): void {
  const socket = req.socket;
  // Reading stops once the request stream's buffer is full (Node's parser pauses the socket).
  req.pause();
  socket.destroySoon = () => {
    // Again: the server resumes a request nobody read (`_dump`) just before this call.
    req.pause();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), RESET_AVOIDANCE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

/**
 * Before an answer that refuses a request without reading its body: a body over
 * DRAIN_LIMIT_BYTES, or chunked, is not read on; the connection closes after the answer. True
 * when it will close (the caller must not resume the request then).
 */
export function refuseUnreadBody(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.complete) return false;
  const declared = req.headers['content-length'];
  const large =
    declared === undefined ? req.headers['transfer-encoding'] !== undefined : Number(declared) > DRAIN_LIMIT_BYTES;
  if (!large) return false;
  res.setHeader('connection', 'close');
  closeInStages(req);
  return true;
}
