/**
 * Small typed readers for environment settings. A service collects every
 * problem before failing, so one start-up shows all bad settings at once.
 */
export class ConfigReader {
  private readonly env: NodeJS.ProcessEnv;
  private readonly problems: string[] = [];

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.env = env;
  }

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535);
  }

  /** A switch written `on` or `off`; anything else is a problem, not silently "on". */
  onOff(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'on' || raw === 'off') return raw === 'on';
    this.problems.push(`${name} must be 'on' or 'off', got '${raw}'`);
    return fallback;
  }

  /** Records a problem found by a check across settings; reported with the others by done(). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one error listing every bad setting, if any. */
  done(service: string): void {
    if (this.problems.length > 0) {
      throw new Error(`invalid configuration for ${service}:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}
