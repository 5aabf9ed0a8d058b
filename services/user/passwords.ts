import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  log2N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/**
 * N = 2^15, r = 8, p = 1: 32 MiB and tens of milliseconds per hash on a server.
 * OWASP suggests 2^17 where logins can afford it; raise USER_SCRYPT_LOG2N and old
 * hashes are upgraded as their owners log in, because each hash records its own cost.
 */
export const DEFAULT_SCRYPT: ScryptParams = { log2N: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// PHC string format (https://github.com/P-H-C/phc-string-format), as used for scrypt by passlib and others.
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) =>
    // NFKC: the same password typed on another keyboard or input method (composed vs decomposed accents) still matches.
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/**
 * Password hashing with Node's own scrypt (no native addon to build): a random
 * salt per hash, the cost stored beside it, constant-time comparison.
 */
export class PasswordHasher {
  readonly params: ScryptParams;
  private dummy: Promise<string> | undefined;

  constructor(params: ScryptParams = DEFAULT_SCRYPT) {
    this.params = params;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, KEY_BYTES, this.params);
    const { log2N, r, p } = this.params;
    return `$scrypt$ln=${log2N},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
  }

  /** Whether `password` matches `stored`, and whether `stored` is weaker than today's parameters. */
  async verify(password: string, stored: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    const parsed = PHC.exec(stored);
    if (!parsed) return { ok: false, needsRehash: false };
    const params = { log2N: Number(parsed[1]), r: Number(parsed[2]), p: Number(parsed[3]) };
    const salt = Buffer.from(parsed[4]!, 'base64');
    const expected = Buffer.from(parsed[5]!, 'base64');
    const actual = await derive(password, salt, expected.length, params);
    const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
    const needsRehash = params.log2N < this.params.log2N || params.r < this.params.r || params.p < this.params.p;
    return { ok, needsRehash };
  }

  /**
   * Spends the same work as a real check against a hash nobody owns, so an
   * unknown email takes as long to refuse as a wrong password.
   */
  async burn(password: string): Promise<void> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(password, await this.dummy);
  }
}
