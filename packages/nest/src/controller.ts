// CeleriacController: the task-status routes of core's createStatusHandler, served by Nest (Express or Fastify).
import { Controller, Get, Inject, Param, Req, Res, type Type } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createStatusHandler, type Celeriac, type StatusHandler } from '@celeriac/core';
import { STATUS_ROUTES, type StatusRoutesOptions } from './options';
import { CELERIAC_APP } from './tokens';

/** A platform response: Express' is a ServerResponse, Fastify's reply has it as `raw`. */
type PlatformResponse = (ServerResponse | { raw: ServerResponse }) & {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
};

const rawOf = (res: PlatformResponse): ServerResponse => ('raw' in res ? res.raw : res);

/** `GET <path>/:id` → TaskStatus JSON; `GET <path>/:id/events` → Server-Sent Events until the task is ready. */
export class CeleriacController {
  readonly #status: StatusHandler<object>;

  constructor(@Inject(CELERIAC_APP) app: Celeriac, @Inject(STATUS_ROUTES) routes: StatusRoutesOptions) {
    const { authorize, heartbeat } = routes;
    this.#status = createStatusHandler<object>(app, { ...(authorize ? { authorize: (req, id) => authorize(req, id) } : {}), ...(heartbeat ? { heartbeat } : {}) });
  }

  @Get(':id')
  async json(@Param('id') id: string, @Req() req: object, @Res({ passthrough: true }) res: PlatformResponse): Promise<unknown> {
    const reply = await this.#status.json(id, req);
    res.status(reply.statusCode);
    for (const [k, v] of Object.entries(reply.headers)) res.header(k, v);
    return reply.body;
  }

  @Get(':id/events')
  async events(@Param('id') id: string, @Req() req: object & { headers?: IncomingMessage['headers'] }, @Res() res: PlatformResponse): Promise<void> {
    await this.#status.stream(id, req, rawOf(res), { lastEventId: req.headers?.['last-event-id'] ?? null });
  }
}

/** The controller class for one path (route metadata is per class, so each path gets its own subclass). */
export function statusController(path: string): Type<CeleriacController> {
  class RoutedCeleriacController extends CeleriacController {}
  Controller(path)(RoutedCeleriacController);
  return RoutedCeleriacController;
}
