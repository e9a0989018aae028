// The demo shop's fastify entry point in a real browser: on memory:// in one process, on Redis with a separate worker,
// and with a flaky SMTP switch and SMTP_URL (see support/shop.ts).
import { describeShop } from './support/shop';

describeShop('fastify');
