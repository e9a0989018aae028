# proj.py: the Python side. Run: celery -A proj worker -Q py -l info
import os

from celery import Celery

BROKER_URL = os.environ.get('BROKER_URL', 'redis://127.0.0.1:6379/0')

app = Celery('proj', broker=BROKER_URL, backend=BROKER_URL)
app.conf.task_routes = {'proj.*': {'queue': 'py'}, 'node.*': {'queue': 'node'}}


@app.task(name='proj.add')
def add(x, y):
    return x + y


@app.task(name='proj.fail')
def fail(message):
    raise ValueError(message)
