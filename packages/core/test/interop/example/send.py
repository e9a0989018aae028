# send.py: Python calls Node. Run: python3 send.py
from proj import app

result = app.send_task('node.greet', args=['Ann'], kwargs={'greeting': 'Hi'})
print('node.greet =', result.get(timeout=10))

try:
    app.send_task('node.fail', args=['bad input']).get(timeout=10)
except TypeError as exc:
    print('node.fail raised TypeError:', exc)
