"""The Python side of celeriac's PostgreSQL interop tests: a plain Celery 5.2 app, broker Redis, results in
PostgreSQL through Celery's database backend (SQLAlchemy + psycopg2).

    INTEROP_REDIS_URL=redis://… INTEROP_DATABASE_URL=db+postgresql://… python3 -m celery -A pg_app worker -Q pypg
"""
import datetime
import decimal
import os
import sys
import time
import uuid

from celery import Celery

app = Celery('pgint', broker=os.environ['INTEROP_REDIS_URL'], backend=os.environ['INTEROP_DATABASE_URL'])
app.conf.update(
    task_serializer='json',
    accept_content=['json'],
    task_routes={'pg.*': {'queue': 'pypg'}, 'node.*': {'queue': 'nodepg'}},
    task_default_queue='pypg',
)


@app.task(name='pg.add')
def add(x, y):
    return {'sum': x + y}


@app.task(name='pg.slow_add')
def slow_add(x, y, delay):
    time.sleep(delay)
    return x + y


@app.task(name='pg.fail')
def fail(n):
    raise ValueError('bad input', n)


@app.task(name='pg.typed')
def typed():
    # The classes celeriac's pickle reader allows, as a Python task commonly returns them.
    return {
        'at': datetime.datetime(2026, 11, 30, 12, 30, 15, 250000),
        'aware': datetime.datetime(2026, 11, 30, 12, 30, tzinfo=datetime.timezone.utc),
        'day': datetime.date(2026, 12, 1),
        'price': decimal.Decimal('19.99'),
        'id': uuid.UUID('6f1c2a4e-8b7d-4c3e-9a1f-0123456789ab'),
        'tuple': (1, 'two'),
    }


@app.task(name='pg.unsafe')
def unsafe():
    # A set pickles with an opcode celeriac does not read: Node must fail clearly, not hang.
    return {1, 2, 3}


if __name__ == '__main__':
    # python3 pg_app.py call <task> <json args>: sends a task (to Node or Python) and prints its outcome as JSON.
    import json
    _, cmd, *rest = sys.argv
    if cmd == 'call':
        name, args = rest[0], json.loads(rest[1])
        res = app.send_task(name, args=args)
        try:
            print(json.dumps({'id': res.id, 'result': res.get(timeout=30), 'status': res.status}))
        except Exception as exc:  # the task's own exception, re-raised by Celery
            print(json.dumps({'id': res.id, 'status': res.status, 'exc_type': type(exc).__name__,
                              'exc_module': type(exc).__module__, 'exc_args': [str(a) for a in exc.args]}))
    elif cmd == 'read':
        res = app.AsyncResult(rest[0])
        out = {'status': res.status, 'date_done': res.date_done.isoformat() if res.date_done else None}
        if res.failed():
            exc = res.result
            out.update(exc_type=type(exc).__name__, exc_module=type(exc).__module__, exc_args=list(exc.args))
        else:
            out['result'] = res.result
        print(json.dumps(out))
    elif cmd == 'store':
        # Stores a state as a Python worker would (backend.store_result), for the trigger tests.
        task_id, state, value = rest[0], rest[1], json.loads(rest[2])
        app.backend.store_result(task_id, value, state)
        print(json.dumps({'ok': True}))
    elif cmd == 'create_all':
        # Makes Celery's tables in an empty database, for the DDL comparison.
        app.backend.ResultSession().close()
        print(json.dumps({'ok': True}))
