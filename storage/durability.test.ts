import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Kysely } from 'kysely';
import { NodeSqliteDatabase, NodeSqliteDialect } from './node-sqlite-dialect.ts';
import { inTransaction, inTransactionWithoutWaitingForDisk, withoutWaitingForDisk } from './transaction.ts';
import { WalSync } from './wal-sync.ts';

/** A WalSync whose fdatasyncs the test lets finish by hand. */
class HeldWalSync extends WalSync {
  readonly held: Array<() => void> = [];
  rounds = 0;
  /** Off while the test sets up its tables. */
  holding = false;
  protected override async fdatasync(): Promise<void> {
    if (!this.holding) return;
    this.rounds++;
    await new Promise<void>((resolve) => this.held.push(resolve));
  }
  releaseAll(): void {
    this.held.splice(0).forEach((resolve) => resolve());
  }
}

interface Tables {
  entries: { id: string };
}

async function open(t: TestContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-durability-'));
  const file = path.join(dir, 'ledger.db');
  const walSync = new HeldWalSync(file);
  const sqlite = new NodeSqliteDatabase(file, { walSync });
  const db = new Kysely<Tables>({ dialect: new NodeSqliteDialect(sqlite) });
  const database = { db, dialect: 'sqlite' as const, sqlite };
  t.after(async () => {
    walSync.holding = false;
    walSync.releaseAll();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  await db.schema.createTable('entries').addColumn('id', 'text', (c) => c.primaryKey()).execute();
  walSync.holding = true;
  return { database, db, walSync };
}

/** Settles-so-far of a promise, for asserting what has not resolved yet. */
function track<T>(promise: Promise<T>) {
  const state = { settled: false };
  void promise.then(() => (state.settled = true), () => (state.settled = true));
  return state;
}

test('a SQLite file commits without an fsync inside COMMIT (synchronous=NORMAL): the WAL is fdatasynced after it, off the event loop', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-durability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const onFile = new NodeSqliteDatabase(path.join(dir, 'f.db'));
  const inMemory = new NodeSqliteDatabase(':memory:');
  try {
    assert.equal(onFile.raw.prepare('PRAGMA synchronous').get()?.synchronous, 1);
    assert.ok(onFile.walSync, 'a file has a WalSync');
    assert.equal(inMemory.raw.prepare('PRAGMA synchronous').get()?.synchronous, 2, 'in memory there is no disk to wait for');
    assert.equal(inMemory.walSync, undefined);
  } finally {
    onFile.close();
    inMemory.close();
  }
});

test('a transaction that wrote resolves only once the WAL is on disk, and the connection serves the next transaction meanwhile', async (t) => {
  const { db, walSync } = await open(t);
  const first = inTransaction(db, (trx) => trx.insertInto('entries').values({ id: 'a' }).execute());
  const firstState = track(first);
  await nextTurn();
  assert.equal(walSync.rounds, 1, 'the commit asked for an fdatasync');
  assert.equal(firstState.settled, false, 'not acknowledged before the fdatasync');

  // The connection is free: another transaction commits while the first one's fdatasync runs.
  const second = inTransaction(db, (trx) => trx.insertInto('entries').values({ id: 'b' }).execute());
  const secondState = track(second);
  await nextTurn();
  await nextTurn();
  assert.equal(walSync.rounds, 1, 'the second commit waits for a round of its own, after the running one');
  assert.equal(secondState.settled, false, 'committed during the first fdatasync: waits for the next one');

  walSync.releaseAll();
  await first;
  await nextTurn();
  assert.equal(secondState.settled, false);
  assert.equal(walSync.rounds, 2, 'one more fdatasync covers the second commit');
  walSync.releaseAll();
  await second;
});

test('commits made during one fdatasync share the next one', async (t) => {
  const { db, walSync } = await open(t);
  const first = inTransaction(db, (trx) => trx.insertInto('entries').values({ id: 'first' }).execute());
  await nextTurn();
  const during = ['x', 'y', 'z'].map((id) => inTransaction(db, (trx) => trx.insertInto('entries').values({ id }).execute()));
  await nextTurn();
  await nextTurn();
  assert.equal(walSync.rounds, 1);
  walSync.releaseAll();
  await first;
  await nextTurn();
  assert.equal(walSync.rounds, 2, 'three commits, one fdatasync');
  walSync.releaseAll();
  await Promise.all(during);
  assert.equal(walSync.rounds, 2);
});

test('a read waits while a commit it could have seen is not on disk, and reads nothing of the disk otherwise', async (t) => {
  const { db, walSync } = await open(t);
  const write = inTransaction(db, (trx) => trx.insertInto('entries').values({ id: 'a' }).execute());
  await nextTurn();
  const read = db.selectFrom('entries').select('id').execute();
  const readState = track(read);
  await nextTurn();
  assert.equal(readState.settled, false, 'the row it read is not durable yet');
  walSync.releaseAll();
  assert.deepEqual((await read).map((r) => r.id), ['a']);
  await write;

  const roundsBefore = walSync.rounds;
  assert.deepEqual((await db.selectFrom('entries').select('id').execute()).map((r) => r.id), ['a']);
  assert.equal(walSync.rounds, roundsBefore, 'a read with nothing pending asks for no fdatasync');
});

test('writes that need not wait for the disk ask for no fdatasync and become durable with the next commit that does', async (t) => {
  const { database, db, walSync } = await open(t);
  await withoutWaitingForDisk(database, (conn) => conn.insertInto('entries').values({ id: 'mark' }).execute());
  await inTransactionWithoutWaitingForDisk(database, (trx) => trx.insertInto('entries').values({ id: 'step' }).execute());
  assert.equal(walSync.rounds, 0);
  assert.equal(walSync.behind, false, 'nothing counted');

  const durable = inTransaction(db, (trx) => trx.insertInto('entries').values({ id: 'payment' }).execute());
  await nextTurn();
  assert.equal(walSync.rounds, 1, 'one fdatasync of the whole WAL covers the earlier writes too');
  walSync.releaseAll();
  await durable;
});

test('a failed fdatasync fails the transaction that waited for it, and the next commit syncs again', async (t) => {
  const { db, walSync } = await open(t);
  const failing = new (class extends WalSync {})('/nonexistent/dir/x.db');
  const probe = failing.sync();
  await assert.rejects(probe, /ENOENT/);
  await failing.close();

  const ok = inTransaction(db, (trx) => trx.insertInto('entries').values({ id: 'a' }).execute());
  await nextTurn();
  walSync.releaseAll();
  await ok;
});
