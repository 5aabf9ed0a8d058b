import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';
import { DEFAULT_SCRYPT, type ScryptParams } from './passwords.ts';

export interface UserConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  /** Cost of new password hashes; existing hashes carry their own and are upgraded at the next login. */
  scrypt: ScryptParams;
  outboxPollIntervalMs: number;
  /**
   * The installation's first operator, made at start while there is none (on
   * AWS the password comes from Secrets Manager; on one machine `npm start`
   * makes one instead). Later starts leave operators alone.
   */
  firstOperator?: { email: string; password: string };
}

export function userConfigFromEnv(env: NodeJS.ProcessEnv = process.env): UserConfig {
  const read = new ConfigReader(env);
  const config: UserConfig = {
    host: read.string('USER_HOST', '127.0.0.1'),
    port: read.port('USER_PORT', catalogListener('user').localPort),
    database: databaseConfigFromEnv('user', env),
    scrypt: {
      // Below 2^14 (Node's own default) is too cheap for passwords; above 2^20 needs a gigabyte per login.
      log2N: read.int('USER_SCRYPT_LOG2N', DEFAULT_SCRYPT.log2N, 14, 20),
      r: read.int('USER_SCRYPT_R', DEFAULT_SCRYPT.r, 8, 32),
      p: read.int('USER_SCRYPT_P', DEFAULT_SCRYPT.p, 1, 16),
    },
    outboxPollIntervalMs: read.int('USER_OUTBOX_POLL_INTERVAL_MS', 500, 10, 60_000),
    firstOperator: undefined,
  };
  const operatorEmail = read.optional('USER_FIRST_OPERATOR_EMAIL');
  const operatorPassword = read.optional('USER_FIRST_OPERATOR_PASSWORD');
  if (operatorEmail && operatorPassword) config.firstOperator = { email: operatorEmail, password: operatorPassword };
  else if (operatorEmail || operatorPassword) read.problem('USER_FIRST_OPERATOR_EMAIL and USER_FIRST_OPERATOR_PASSWORD go together: set both or neither');
  read.done('user');
  return config;
}
