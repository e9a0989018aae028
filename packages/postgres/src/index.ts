export { createBackend, PostgresBackend } from './backend';
export { pickle, PickleError, PyTuple } from './pickle';
export { unpickle } from './unpickle';
export { CELERY_DDL, CHANNEL, SCHEMA_SQL } from './schema';
