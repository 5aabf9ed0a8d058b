/**
 * `npm run audit:verify`: recomputes the audit log's hash chain from its
 * database and exits 0 when it holds, 1 when a record was altered, removed or
 * reordered (printing the first broken record).
 */
import { databaseConfigFromEnv } from '../../storage/database.ts';
import { verifyChain } from './chain.ts';
import { openAuditDatabase } from './database.ts';

const database = await openAuditDatabase(databaseConfigFromEnv('audit'));
try {
  const verdict = await verifyChain(database.db);
  if (verdict.ok) {
    console.log(`audit log intact: ${verdict.records} records`);
  } else {
    console.error(`audit log BROKEN at record ${verdict.brokenAt}: ${verdict.problem} (${verdict.records} records verified before it)`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
