"""The Python side of the Sentinel interop test: Celery 5.2 on Redis Sentinel, broker and result backend.

Worker:  INTEROP_REDIS_URL='sentinel://127.0.0.1:p1;sentinel://127.0.0.1:p2' /usr/bin/python3 -m celery \
           -A sentinel_app worker -P threads -Q py --without-gossip --without-mingle --without-heartbeat -l info
Send:    INTEROP_REDIS_URL=… /usr/bin/python3 sentinel_app.py <x> <y>   (calls node.add, prints its result as JSON)
"""
import json
import os
import sys

from celery import Celery

URL = os.environ['INTEROP_REDIS_URL']
# The name the test's sentinels monitor (packages/core/test/support/sentinel.ts MASTER_NAME).
MASTER = os.environ.get('INTEROP_SENTINEL_MASTER', 'celeriac-test')

app = Celery('sentinel_interop', broker=URL, backend=URL)
app.conf.update(
    broker_transport_options={'master_name': MASTER},
    result_backend_transport_options={'master_name': MASTER},
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    task_routes={'proj.*': {'queue': 'py'}, 'node.*': {'queue': 'node'}},
    task_default_queue='py',
)


@app.task(name='proj.add')
def add(x, y):
    return x + y


if __name__ == '__main__':
    x, y = int(sys.argv[1]), int(sys.argv[2])
    result = app.send_task('node.add', args=[x, y])
    print(json.dumps({'id': result.id, 'result': result.get(timeout=20)}))
