// CeleriacExceptionFilter: celeriac's errors as the JSON answers core's errorReply gives them (Redis down: 503 with
// Retry-After; arguments JSON cannot carry: 400), on Nest's Express or Fastify platform alike.
import { Catch, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CeleriacError, errorReply, type ErrorReplyOptions } from '@celeriac/core';

export const CELERIAC_ERROR_REPLY = Symbol('CELERIAC_ERROR_REPLY');

/**
 * Register it like any Nest filter: `{ provide: APP_FILTER, useClass: CeleriacExceptionFilter }` in a module's
 * providers (options through `{ provide: CELERIAC_ERROR_REPLY, useValue: { retryAfter: 10 } }`), or
 * `app.useGlobalFilters(new CeleriacExceptionFilter(app.get(HttpAdapterHost)))`.
 */
@Catch(CeleriacError)
export class CeleriacExceptionFilter implements ExceptionFilter<CeleriacError> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(CELERIAC_ERROR_REPLY) private readonly options: ErrorReplyOptions = {},
  ) {}

  catch(err: CeleriacError, host: ArgumentsHost): void {
    const reply = errorReply(err, this.options ?? {})!;
    const adapter = this.adapterHost.httpAdapter;
    const res: unknown = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(reply.headers)) adapter.setHeader(res, name, value);
    adapter.reply(res, reply.body, reply.statusCode);
  }
}
