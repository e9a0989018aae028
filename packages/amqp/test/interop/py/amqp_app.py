"""The Python side of celeriac's RabbitMQ interop tests: a plain Celery 5.2 app on RabbitMQ, results in Redis.

Worker:   AMQP_URL=amqp://… REDIS_URL=redis://… /usr/bin/python3 -m celery -A amqp_app worker -P threads -Q py
Producer: AMQP_URL=… REDIS_URL=… /usr/bin/python3 amqp_app.py '<json {"scenario": …}>'
"""
import json
import os
import sys
import time

from celery import Celery
from kombu import Exchange, Queue

app = Celery('amqp_interop', broker=os.environ['AMQP_URL'], backend=os.environ.get('PY_BACKEND') or os.environ['REDIS_URL'])
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    task_routes={'proj.*': {'queue': 'py'}, 'node.*': {'queue': 'node'}},
    task_default_queue='py',
    worker_prefetch_multiplier=4,
    # Two queues on a topic exchange, as in Celery's routing docs; the rest are created as Celery creates them.
    task_queues=(
        Queue('pytopic', Exchange('tasks', type='topic'), routing_key='pytopic.#'),
        Queue('nodetopic', Exchange('tasks', type='topic'), routing_key='nodetopic.#'),
    ),
)
if os.environ.get('MAX_PRIORITY'):
    app.conf.task_queue_max_priority = int(os.environ['MAX_PRIORITY'])


@app.task(name='proj.add')
def add(x, y):
    return x + y


@app.task(name='proj.info', bind=True)
def info(self, *args, **kwargs):
    r = self.request
    di = r.delivery_info or {}
    return {'id': r.id, 'args': list(args), 'kwargs': kwargs, 'routing_key': di.get('routing_key'),
            'priority': di.get('priority'), 'eta': r.eta, 'now': time.time()}


@app.task(name='proj.slow')
def slow(x):
    return x


def main(p):
    s = p['scenario']
    if s == 'send':
        res = app.send_task(p['task'], args=p.get('args', []), kwargs=p.get('kwargs', {}), **p.get('options', {}))
        try:
            return {'ok': True, 'id': res.id, 'result': res.get(timeout=p.get('timeout', 20))}
        except Exception as exc:  # noqa: BLE001 - reported to the Node side
            return {'ok': False, 'id': res.id, 'error': type(exc).__name__, 'message': str(exc), 'state': res.state}
    if s == 'revoke':
        app.control.revoke(p['id'], terminate=p.get('terminate', False))
        return {'ok': True}
    if s == 'ping':
        return {'ok': True, 'replies': app.control.ping(timeout=p.get('timeout', 2.0))}
    raise SystemExit('unknown scenario ' + s)


if __name__ == '__main__':
    print(json.dumps(main(json.loads(sys.argv[1])), default=str))
