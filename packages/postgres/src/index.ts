export { createBackend, PostgresBackend } from './backend';
export { pickle, unpickle, PickleError, PyTuple } from './pickle';
export { CELERY_DDL, CHANNEL } from './schema';
