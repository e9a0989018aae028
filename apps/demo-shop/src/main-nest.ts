// The demo shop on NestJS (the default: `npm start`). The task is an @Task() method of a provider, sent with a
// typed `.delay()` on that method; CeleriacModule serves GET /tasks/:id (JSON) and /tasks/:id/events (SSE) and, on
// memory://, runs the worker inside this application.
import 'reflect-metadata';
import {
  Body,
  Catch,
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  Res,
  type ArgumentsHost,
  type DynamicModule,
  type ExceptionFilter,
} from '@nestjs/common';
import { APP_FILTER, BaseExceptionFilter, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import { CeleriacExceptionFilter, CeleriacModule, Periodic, Task, currentTask } from '@celeriac/nest';
import { CLEANUP_ENTRY, CLEANUP_TASK, SHOP_QUEUE, cleanupUnactivated, webQueues } from './cleanup';
import { MAIL_TASK, MAIL_TASK_OPTIONS, sendRegisterActiveMail } from './mail';
import { BODY_LIMIT, bodyErrorAnswer, Shop, type Answer } from './shop';
import { readSettings } from './settings';
import { runMain } from './run';

@Injectable()
export class MailService {
  constructor(private readonly shop: Shop) {}

  @Task({ name: MAIL_TASK, ...MAIL_TASK_OPTIONS })
  async sendRegisterActiveMail(email: string, username: string, token: string): Promise<string> {
    return sendRegisterActiveMail(currentTask(), this.shop.mailDeps, email, username, token);
  }
}

@Injectable()
export class CleanupService {
  constructor(private readonly shop: Shop) {}

  // NOTE: the interval is read when this class is defined; main() has already checked it (readSettings).
  @Task({ name: CLEANUP_TASK, queue: SHOP_QUEUE })
  @Periodic(`${process.env.DEMO_CLEANUP_EVERY || 60}s`, { name: CLEANUP_ENTRY })
  cleanupUnactivated(): { removed: string[] } {
    return cleanupUnactivated(this.shop);
  }
}

const send = (res: Response, a: Answer) => res.status(a.statusCode).type(a.contentType).send(a.body);

@Controller()
export class ShopController {
  constructor(
    private readonly shop: Shop,
    private readonly mail: MailService,
  ) {}

  @Get()
  page(@Res() res: Response) {
    send(res, this.shop.page());
  }

  @Post('register')
  async register(@Body() body: unknown, @Res() res: Response) {
    send(res, await this.shop.register(body, (email, username, token) => this.mail.sendRegisterActiveMail.delay(email, username, token)));
  }

  @Get('activate/:token')
  activate(@Param('token') token: string, @Res() res: Response) {
    send(res, this.shop.activate(token));
  }

  @Get('outbox')
  outbox(@Res() res: Response) {
    send(res, this.shop.outboxPage());
  }

  @Get('outbox.json')
  outboxJson(@Res() res: Response) {
    send(res, this.shop.outboxJson());
  }
}

/** Malformed JSON (400) and bodies over 16 KiB (413) answer `{ message }`; everything else goes to Nest. */
@Catch()
export class BodyErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(err: unknown, host: ArgumentsHost) {
    const a = bodyErrorAnswer(err);
    if (a) send(host.switchToHttp().getResponse<Response>(), a);
    else super.catch(err, host);
  }
}

@Module({})
export class AppModule {
  static forShop(shop: Shop): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // CELERIAC_BROKER_URL (and any CELERIAC_* setting) from the environment; memory:// runs the worker here.
        CeleriacModule.forRoot({
          name: 'demo-shop',
          namespace: 'CELERIAC',
          statusRoutes: { path: 'tasks' },
          // The web process runs its own queue (the clean-up); on memory:// the mail task too. Beat sends the clean-up.
          worker: { queues: webQueues(shop) },
          beat: true,
        }),
      ],
      controllers: [ShopController],
      providers: [
        { provide: Shop, useValue: shop },
        MailService,
        CleanupService,
        { provide: APP_FILTER, useClass: BodyErrorFilter },
        { provide: APP_FILTER, useClass: CeleriacExceptionFilter }, // Redis down: 503 with Retry-After
      ],
    };
  }
}

export async function main() {
  const settings = readSettings();
  const shop = await Shop.start('NestJS', settings);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forShop(shop), {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  app.useBodyParser('json', { limit: BODY_LIMIT });
  await app.listen(settings.port, settings.host);
  const port = (app.getHttpServer().address() as { port: number }).port;
  console.log(shop.banner(shop.listening(port)));
  return async () => {
    await app.close(); // status streams, the worker (warm), the app's connections
    await shop.close();
  };
}

if (require.main === module) runMain(main);
