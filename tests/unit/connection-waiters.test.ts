import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionWaiters } from '../../src/transport/connection-waiters.js';

test('a waiter is woken by a reconnect, gives up after its timeout, and never waits on a closed connection', async () => {
  const waiters = new ConnectionWaiters();
  let usable = false;
  let closed = false;
  assert.equal(
    await waiters.wait(
      1_000,
      () => true,
      () => false,
    ),
    true,
    'connected: at once',
  );
  const woken = waiters.wait(
    60_000,
    () => usable,
    () => closed,
  );
  usable = true;
  waiters.wake();
  assert.equal(await woken, true, 'woken by the reconnect long before its timeout');
  usable = false;
  const started = Date.now();
  assert.equal(
    await waiters.wait(
      30,
      () => usable,
      () => closed,
    ),
    false,
    'still disconnected after its timeout',
  );
  assert.ok(Date.now() - started >= 25);
  const onClose = waiters.wait(
    60_000,
    () => usable,
    () => closed,
  );
  closed = true;
  waiters.wake();
  assert.equal(await onClose, false, 'the close wakes it, unusable');
  assert.equal(
    await waiters.wait(
      60_000,
      () => usable,
      () => closed,
    ),
    false,
    'closed: at once',
  );
});
