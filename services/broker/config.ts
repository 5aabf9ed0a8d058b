import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface BrokerConfig {
  host: string;
  port: number;
  /** The account id in queue URLs and ARNs. */
  accountId: string;
  region: string;
  database: DatabaseConfig;
  /** Whether start-up applies contracts/topology.json (queues, DLQs, bus, rules, targets). */
  applyTopology: boolean;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * BROKER_HOST (127.0.0.1), BROKER_PORT (9324), BROKER_ACCOUNT_ID
 * (000000000000), BROKER_REGION or AWS_REGION (us-east-1),
 * BROKER_APPLY_TOPOLOGY (true), and the database as every service picks it
 * (BROKER_DATABASE_URL / DATABASE_URL, else data/broker.db).
 */
export function brokerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const reader = new ConfigReader(env);
  const host = reader.string('BROKER_HOST', '127.0.0.1');
  const port = reader.port('BROKER_PORT', catalogListener('broker').localPort);
  const accountId = reader.string('BROKER_ACCOUNT_ID', '000000000000');
  const region = reader.string('BROKER_REGION', reader.string('AWS_REGION', 'us-east-1'));
  const applyTopology = reader.string('BROKER_APPLY_TOPOLOGY', 'true').toLowerCase();

  const problems: string[] = [];
  try {
    reader.done('broker');
  } catch (err) {
    problems.push(...(err as Error).message.split('\n  - ').slice(1));
  }
  if (!ACCOUNT_ID.test(accountId)) problems.push(`BROKER_ACCOUNT_ID must be 12 digits, got '${accountId}'`);
  if (!REGION.test(region)) problems.push(`BROKER_REGION / AWS_REGION must be an AWS Region name such as us-east-1, got '${region}'`);
  if (applyTopology !== 'true' && applyTopology !== 'false') problems.push(`BROKER_APPLY_TOPOLOGY must be true or false, got '${applyTopology}'`);
  let database: DatabaseConfig | undefined;
  try {
    database = databaseConfigFromEnv('broker', env);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0 || !database) throw new Error(`invalid configuration for broker:\n  - ${problems.join('\n  - ')}`);
  return { host, port, accountId, region, database, applyTopology: applyTopology === 'true' };
}
