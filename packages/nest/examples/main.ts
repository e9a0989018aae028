// The API: sends tasks, never runs them (the module's `worker` option defaults to false).
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`API listening on ${await app.getUrl()}`);
}
void bootstrap();
