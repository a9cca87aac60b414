/**
 * fastify's own request logging, cut to one line per request: method, path (never the
 * query: it may carry a token), status, ms and the error code of our catalogue when the
 * answer is an error. No bodies, no headers. fastify writes it through its logger (the
 * service's pino), with the request id it binds. Successful health probes are left out:
 * a probe every few seconds would drown the log.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** The path without the query string (a query may carry a token). */
export function pathOf(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q < 0 ? request.url : request.url.slice(0, q);
}

export class RequestLogController extends LogController {
  /** `codeOf`: the error code the error handler answered for this request, if any. */
  constructor(private readonly codeOf: (request: FastifyRequest) => string | undefined) {
    super();
  }

  /** One line per request is written when it completes, so nothing when it arrives. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const path = pathOf(request);
    if ((path === '/health' || path === '/ready') && reply.statusCode === 200 && !error) return;
    const fields: Record<string, unknown> = {
      method: request.method,
      path,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    const code = this.codeOf(request);
    if (code) fields.code = code;
    if (error) fields.err = error;
    if (reply.statusCode >= 500 || error) reply.log.warn(fields, 'http');
    else reply.log.info(fields, 'http');
  }

  /** Our not-found handler answers, and the completed line says 404: nothing more. */
  override routeNotFound(): void {}
}
