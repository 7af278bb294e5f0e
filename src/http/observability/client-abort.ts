// Telling a client that went away from a real failure: an upload whose connection closed mid-body,
// or an answer the client stopped reading, surfaces as ECONNRESET / "aborted" / premature-close
// errors. Those are routine and are logged once, at info, by the access log; nothing else logs them.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * True when the client's side of this exchange is gone: the request body was cut off, the socket
 * is closed, or the answer was destroyed before it was finished. Decided from the connection, not
 * from the error's code, so an ECONNRESET from a storage backend is still an error.
 */
export function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  return (req.destroyed && !req.complete) || (req.socket?.destroyed ?? false) || (res.destroyed && !res.writableFinished);
}
