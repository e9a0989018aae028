// send.js: Node calls Python. Run: node send.js
const { signature, TaskError } = require('@celeriac/core');
const { app } = require('./tasks');

async function main() {
  // By name: nothing about proj.add needs to exist in Node.
  const sum = await app.sendTask('proj.add', [2, 3]);
  console.log('proj.add(2, 3) =', await sum.get({ timeout: 10_000 }));

  // Python runs proj.add, then sends its result to node.mul, which a celeriac worker runs.
  const product = signature('node.mul', [10], {}, { taskId: `mul-${sum.id}` });
  const first = await app.sendTask('proj.add', [1, 2], { link: product });
  await first.get({ timeout: 10_000 });
  console.log('proj.add(1, 2) | node.mul(10) =', await app.asyncResult(product.options.taskId).get({ timeout: 10_000 }));

  // A Python exception arrives as a TaskError with Celery's exception fields.
  const failed = await app.sendTask('proj.fail', ['no such user']);
  try {
    await failed.get({ timeout: 10_000 });
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    console.log('proj.fail raised', `${err.excModule}.${err.excType}`, err.excMessage);
  }
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
