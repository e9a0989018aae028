"""Python producer for celeriac's interop tests: runs one scenario and prints one JSON object.

Usage: INTEROP_REDIS_URL=redis://… /usr/bin/python3 producer.py '<json {"scenario": …, …}>'
"""
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from celery import chain, chord, group, signature
from celery.result import AsyncResult

from interop_app import app

TIMEOUT = 10


def jsonable(v):
    try:
        json.dumps(v)
        return v
    except TypeError:
        return repr(v)


def outcome(res, timeout=TIMEOUT):
    """get() the result: the value, or the exception Python re-raised (type, module, args)."""
    try:
        return {'id': res.id, 'ok': True, 'result': res.get(timeout=timeout)}
    except Exception as e:  # noqa: BLE001 - reported to the test as data
        return {
            'id': res.id,
            'ok': False,
            'exc_type': type(e).__name__,
            'exc_module': type(e).__module__,
            'exc_args': [jsonable(a) for a in e.args],
            'state': res.state,
        }


def options(o):
    """apply_async options from JSON: eta_in (seconds from now) becomes an aware datetime."""
    o = dict(o or {})
    if 'eta_in' in o:
        o['eta'] = datetime.now(timezone.utc) + timedelta(seconds=o.pop('eta_in'))
    return o


def send(p):
    sent_at = time.time()
    res = app.send_task(p['task'], args=p.get('args', []), kwargs=p.get('kwargs', {}), **options(p.get('options')))
    out = outcome(res, p.get('timeout', TIMEOUT)) if p.get('wait', True) else {'id': res.id}
    out['sent_at'] = sent_at
    return out


def send_many(p):
    return {'results': [send({**call, 'wait': False}) for call in p['calls']]}


def get(p):
    return {'results': [outcome(AsyncResult(i, app=app)) for i in p['ids']]}


def revoke(p):
    """Sends a task due later, revokes it with Python's AsyncResult.revoke(), then waits for its result."""
    res = app.send_task(p['task'], args=p.get('args', []), **options(p.get('options')))
    time.sleep(p.get('pause', 0))
    res.revoke()
    return outcome(res)


def send_revoke(p):
    """Sends a task due later and revokes it at once with AsyncResult.revoke(); does not wait for a result."""
    sent_at = time.time()
    res = app.send_task(p['task'], args=p.get('args', []), **options(p.get('options')))
    res.revoke()
    return {'id': res.id, 'sent_at': sent_at}


def link(p):
    """apply_async(..., link=signature(<node task>)): the callback's id is fixed beforehand."""
    cb = signature(p['link'], args=p.get('link_args', []), app=app)
    cb_id = cb.freeze().id
    res = app.send_task(p['task'], args=p.get('args', []), link=cb)
    return {'parent': outcome(res), 'callback': outcome(AsyncResult(cb_id, app=app))}


def link_error(p):
    eb = signature(p['link_error'], app=app)
    eb_id = eb.freeze().id
    res = app.send_task(p['task'], args=p.get('args', []), link_error=eb)
    return {'parent': outcome(res), 'errback': outcome(AsyncResult(eb_id, app=app))}


def sig(s):
    return signature(s[0], args=s[1] if len(s) > 1 else [], kwargs=s[2] if len(s) > 2 else {}, app=app)


def stored(res, timeout=TIMEOUT):
    """Waits (at most `timeout`) until a state is stored. Celery's get() subscribes without waiting for the
    subscription, then reads the state once: a state stored between the two is published to nobody and read too
    early, and get() then waits for nothing. Reading a step only once it is stored avoids that race."""
    deadline = time.monotonic() + timeout
    while not res.ready() and time.monotonic() < deadline:
        time.sleep(0.05)


def run_chain(p):
    """chain(a, b, c)(): Python sends the first task with embed.chain; each worker sends the next one."""
    res = chain(*[sig(s) for s in p['steps']]).apply_async()
    last = outcome(res)
    ids = []
    node = res
    while node is not None:
        ids.append(node.id)
        node = node.parent
    ids.reverse()
    steps = [AsyncResult(i, app=app) for i in ids]
    for step in steps:
        stored(step)
    return {'last': last, 'ids': ids, 'steps': [outcome(step) for step in steps]}


def run_group(p):
    res = group(*[sig(s) for s in p['members']]).apply_async()
    try:
        return {'ok': True, 'result': res.get(timeout=TIMEOUT), 'ids': [r.id for r in res.results]}
    except Exception as e:  # noqa: BLE001
        return {'ok': False, 'exc_type': type(e).__name__, 'exc_args': [jsonable(a) for a in e.args]}


def run_chord(p):
    body = chain(*[sig(s) for s in p['body_chain']]) if 'body_chain' in p else sig(p['body'])
    res = chord([sig(s) for s in p['header']], body).apply_async()
    return outcome(res)


SCENARIOS = {
    'send': send,
    'send_many': send_many,
    'get': get,
    'revoke': revoke,
    'send_revoke': send_revoke,
    'link': link,
    'link_error': link_error,
    'chain': run_chain,
    'group': run_group,
    'chord': run_chord,
}

if __name__ == '__main__':
    params = json.loads(sys.argv[1])
    try:
        print(json.dumps(SCENARIOS[params['scenario']](params)))
    finally:
        app.close()
