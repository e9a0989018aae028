import { describeResultBackend } from '../../../core/test/conformance/backend.conformance';
import { startPostgres, type PgServer } from '../support/pg-server';

let pg: PgServer;
describeResultBackend('postgres', {
  url: async () => {
    pg = await startPostgres();
    return `db+${await pg.createDatabase()}`;
  },
  teardown: () => pg.stop(),
});
