import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';
import { openBrokerDatabase } from '../database.ts';
import { Store } from '../sqs/store.ts';

/** A WAL fsync the test releases by hand. */
function heldSync() {
  const pending: Array<() => void> = [];
  return {
    pending,
    sync: () => new Promise<void>((resolve) => pending.push(resolve)),
    close: async () => {},
    release: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

test('a durable unit resolves only once its commit is on disk; a receive-like unit of the same group does not wait for the fsync', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-store-'));
  const database = await openBrokerDatabase({ kind: 'sqlite', file: path.join(dir, 'broker.db') });
  const sync = heldSync();
  const store = new Store(database, pino({ level: 'silent' }), Date.now, sync);
  t.after(async () => {
    sync.release();
    await store.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.run((tx) => tx.sql.run('CREATE TABLE t (v TEXT)'), { durable: false });

  const settled: string[] = [];
  const woken: string[] = [];
  const send = store.run((tx) => {
    tx.afterCommit(() => woken.push('send'));
    return tx.sql.run("INSERT INTO t VALUES ('sent')");
  }).then(() => settled.push('send'));
  const receive = store.run((tx) => tx.sql.all('SELECT v FROM t'), { durable: false }).then(() => settled.push('receive'));
  await receive;
  await nextTurn();
  assert.deepEqual(settled, ['receive'], 'the send waits for the fsync; the receive of the same group does not');
  assert.deepEqual(woken, [], 'long polls are woken only once the send is on disk');
  assert.equal(sync.pending.length, 1, 'one fsync for the group');

  sync.release();
  await send;
  assert.deepEqual(settled, ['receive', 'send']);
  assert.deepEqual(woken, ['send']);

  await store.run((tx) => tx.sql.run("DELETE FROM t"), { durable: false });
  assert.equal(sync.pending.length, 0, 'a group without a durable unit asks for no fsync');
});
