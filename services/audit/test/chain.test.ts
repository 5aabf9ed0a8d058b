import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, test } from 'node:test';
import { inTransaction } from '../../../storage/transaction.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { appendAuditRecord, appendToChain, verifyChain } from '../chain.ts';
import { openAuditDatabase } from '../database.ts';

const entry = (n: number) => ({
  eventId: randomUUID(),
  source: 'paypal-clone.transaction-service',
  detailType: 'Transaction completed',
  actor: `user-${n}`,
  payload: { transaction_id: `t-${n}`, amount_minor: String(n * 100) },
  occurredAt: new Date().toISOString(),
});

for (const target of await testDatabases()) {
  describe(`audit chain on ${target.name}`, { skip: target.skip }, () => {
    test('an untouched log verifies, and a record delivered twice is kept once', async (t) => {
      const { config, cleanup } = await target.create();
      t.after(cleanup);
      const database = await openAuditDatabase(config);
      t.after(() => database.close());
      const first = entry(1);
      assert.equal(await appendAuditRecord(database.db, first, database.dialect), true);
      assert.equal(await appendAuditRecord(database.db, first, database.dialect), false);
      await Promise.all([2, 3, 4, 5, 6].map((n) => appendAuditRecord(database.db, entry(n), database.dialect)));
      assert.deepEqual(await verifyChain(database.db), { ok: true, records: 6 });
    });

    test('a batch chained in one transaction links every new record and skips the ones already there', async (t) => {
      const { config, cleanup } = await target.create();
      t.after(cleanup);
      const database = await openAuditDatabase(config);
      t.after(() => database.close());
      const stored = entry(1);
      await appendAuditRecord(database.db, stored, database.dialect);
      const fresh = [entry(2), entry(3)];
      // As the consumer receives them: a redelivery of a stored record and a duplicate inside the batch among new ones.
      const batch = [fresh[0]!, stored, fresh[0]!, fresh[1]!];
      const appended = await inTransaction(database.db, async (trx) => {
        const outcomes: boolean[] = [];
        for (const e of batch) outcomes.push(await appendToChain(trx, e, database.dialect));
        return outcomes;
      });
      assert.deepEqual(appended, [true, false, false, true]);
      assert.deepEqual(await verifyChain(database.db), { ok: true, records: 3 });
      // The next batch starts from the head the last one left.
      assert.equal(await appendAuditRecord(database.db, entry(4), database.dialect), true);
      assert.deepEqual(await verifyChain(database.db), { ok: true, records: 4 });
    });

    test('altering, removing or truncating a record is detected at the first broken record', async (t) => {
      const { config, cleanup } = await target.create();
      t.after(cleanup);
      const database = await openAuditDatabase(config);
      t.after(() => database.close());
      for (let n = 1; n <= 5; n++) await appendAuditRecord(database.db, entry(n), database.dialect);

      await database.db.updateTable('audit_records').set({ payload: JSON.stringify({ transaction_id: 't-3', amount_minor: '999999' }) }).where('seq', '=', 3n).execute();
      const altered = await verifyChain(database.db);
      assert.equal(altered.ok, false);
      assert.equal(altered.brokenAt, 3n);
      assert.match(altered.problem!, /altered/);

      await database.db.deleteFrom('audit_records').where('seq', '=', 3n).execute();
      const removed = await verifyChain(database.db);
      assert.equal(removed.brokenAt, 3n);
      assert.match(removed.problem!, /missing/);

      await database.db.deleteFrom('audit_records').where('seq', '>=', 3n).execute();
      const truncated = await verifyChain(database.db);
      assert.equal(truncated.ok, false);
      assert.match(truncated.problem!, /head/);
    });
  });
}

test('the verify command exits non-zero on a tampered log and names the record', async (t) => {
  const [sqlite] = await testDatabases();
  const { config, cleanup } = await sqlite!.create();
  t.after(cleanup);
  if (config.kind !== 'sqlite') return;
  const database = await openAuditDatabase(config);
  for (let n = 1; n <= 3; n++) await appendAuditRecord(database.db, entry(n), database.dialect);
  await database.db.updateTable('audit_records').set({ actor: 'someone-else' }).where('seq', '=', 2n).execute();
  await database.close();
  const env = { ...process.env, DATA_DIR: path.dirname(config.file), AUDIT_DATABASE_URL: '', DATABASE_URL: '' };
  // The command reads <DATA_DIR>/audit.db: point it at the test file by name.
  const { renameSync } = await import('node:fs');
  renameSync(config.file, path.join(path.dirname(config.file), 'audit.db'));
  for (const suffix of ['-wal', '-shm']) {
    try {
      renameSync(config.file + suffix, path.join(path.dirname(config.file), `audit.db${suffix}`));
    } catch {
      // no such file
    }
  }
  const verify = path.join(import.meta.dirname, '..', 'verify.ts');
  assert.throws(() => execFileSync(process.execPath, [verify], { env, stdio: 'pipe' }), (err: { status: number; stderr: Buffer }) => {
    assert.equal(err.status, 1);
    assert.match(err.stderr.toString(), /BROKEN at record 2/);
    return true;
  });
});
