// The worker: the same AppModule, no HTTP server; SIGTERM or SIGINT stops it warm.
import { NestFactory } from '@nestjs/core';
import { CeleriacWorker } from '@celeriac/nest';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.createApplicationContext(AppModule);
  app.enableShutdownHooks();
  await app.get(CeleriacWorker).start({ queues: ['mail'], concurrency: 10 });
  console.log('worker ready');
}
void bootstrap();
