import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { NodeSqliteDatabase } from './node-sqlite-dialect.ts';

test('opening a new database file while another connection holds its write lock waits for the lock instead of failing', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shared.db');
  // Another connection (as payment's canary would be) creates the file and holds a write lock for a moment,
  // before the file is in WAL mode: switching the journal mode then needs that lock.
  const holder = new Worker(
    `const { DatabaseSync } = require('node:sqlite');
     const { parentPort, workerData } = require('node:worker_threads');
     const db = new DatabaseSync(workerData);
     db.exec('BEGIN IMMEDIATE');
     db.exec('CREATE TABLE t (x)');
     parentPort.postMessage('locked');
     setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, 300);`,
    { eval: true, workerData: file },
  );
  t.after(() => holder.terminate());
  await new Promise<void>((resolve) => holder.once('message', () => resolve()));

  const database = new NodeSqliteDatabase(file);
  try {
    assert.equal((database.raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  } finally {
    database.close();
  }
});
