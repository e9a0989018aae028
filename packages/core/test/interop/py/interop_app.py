"""The Python side of celeriac's interop tests: a plain Celery 5 app on the same Redis as Node.

Run a worker:  INTEROP_REDIS_URL=redis://127.0.0.1:6379/0 /usr/bin/python3 -m celery -A interop_app worker \
                 -P threads -c 4 -Q py,py2 --without-gossip --without-mingle --without-heartbeat -l info
"""
import os
import time

import redis
from celery import Celery

URL = os.environ.get('INTEROP_REDIS_URL', 'redis://127.0.0.1:6379/0')

app = Celery('interop', broker=URL, backend=URL)
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    # Each side consumes its own queues; both sides route by task name the same way.
    task_routes={'proj.*': {'queue': 'py'}, 'node.*': {'queue': 'node'}, 'shared.*': {'queue': 'shared'}},
    task_default_queue='py',
    worker_prefetch_multiplier=int(os.environ.get('INTEROP_PREFETCH', '4')),
)

_redis = redis.Redis.from_url(URL)


class InteropError(Exception):
    """A custom exception: Node sees exc_module 'interop_app', exc_type 'InteropError'."""


@app.task(name='proj.add')
def add(x, y):
    return x + y


@app.task(name='proj.mul')
def mul(x, y):
    return x * y


@app.task(name='proj.echo')
def echo(*args, **kwargs):
    return {'args': list(args), 'kwargs': kwargs}


@app.task(name='proj.info', bind=True)
def info(self, *args, **kwargs):
    r = self.request
    di = r.delivery_info or {}
    return {
        'id': r.id,
        'args': list(args),
        'kwargs': kwargs,
        'routing_key': di.get('routing_key'),
        'priority': di.get('priority'),
        'eta': r.eta,
        'expires': r.expires,
        'root_id': r.root_id,
        'parent_id': r.parent_id,
        'retries': r.retries,
        'now': time.time(),
    }


@app.task(name='proj.fail')
def fail(msg):
    raise ValueError(msg)


@app.task(name='proj.fail_custom')
def fail_custom(msg):
    raise InteropError(msg)


@app.task(name='proj.flaky', bind=True, max_retries=5)
def flaky(self, times):
    if self.request.retries < times:
        raise self.retry(countdown=0.1)
    return {'retries': self.request.retries}


@app.task(name='proj.record')
def record(key, tag):
    """Appends tag to a Redis list, to see the order tasks ran in."""
    _redis.rpush(key, tag)
    return tag


@app.task(name='proj.on_error')
def on_error(task_id):
    """An old-style errback: receives the failed task's id and reads its stored error."""
    meta = app.backend.get_task_meta(task_id)
    exc = meta.get('result')
    return {'failed_id': task_id, 'state': meta.get('status'), 'exc_type': type(exc).__name__, 'exc_args': list(getattr(exc, 'args', []))}


@app.task(name='shared.add')
def shared_add(x, y):
    """Registered on both sides (celeriac registers 'shared.add' too): either worker may run it."""
    time.sleep(0.02)
    return {'sum': x + y, 'by': 'py'}
