import { SURFACE_NAMES, type SurfaceName } from './surfaces/surface.ts';

/** A broken rule: where, which check, what was seen, and how to see it again. */
export interface Finding {
  surface: SurfaceName | 'platform';
  check: string;
  detail: string;
  /** A one-line reproduction: the command that sends this input alone, and what the input is. */
  reproduce: string;
}

/** Findings with the same surface, check and shape of detail are one finding seen several times. */
interface FindingGroup {
  first: Finding[];
  count: number;
}

const EXAMPLES_PER_GROUP = 3;

/** Counts of inputs by surface and outcome, and the findings, for the report. */
export class Tally {
  private readonly outcomes = new Map<string, Map<string, number>>();
  private readonly groups = new Map<string, FindingGroup>();
  inputs = 0;

  count(surface: SurfaceName, outcome: string): void {
    this.inputs++;
    let bySurface = this.outcomes.get(surface);
    if (!bySurface) this.outcomes.set(surface, (bySurface = new Map()));
    bySurface.set(outcome, (bySurface.get(outcome) ?? 0) + 1);
  }

  find(finding: Finding): void {
    // Ids, numbers and long texts differ between occurrences of one finding; its shape does not.
    const shape = finding.detail.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '<id>').replace(/\d+/g, 'N').slice(0, 120);
    const key = `${finding.surface}\0${finding.check}\0${shape}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { first: [], count: 0 }));
    group.count++;
    if (group.first.length < EXAMPLES_PER_GROUP) group.first.push(finding);
  }

  get findings(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.count;
    return n;
  }

  inputsOf(surface: SurfaceName): number {
    let n = 0;
    for (const count of this.outcomes.get(surface)?.values() ?? []) n += count;
    return n;
  }

  /** The report's table: inputs and outcomes by surface. */
  formatCounts(): string {
    const lines: string[] = [];
    const width = Math.max(...SURFACE_NAMES.map((s) => s.length));
    lines.push(`${'surface'.padEnd(width)}  ${'inputs'.padStart(8)}  outcomes`);
    for (const surface of SURFACE_NAMES) {
      const bySurface = this.outcomes.get(surface);
      if (!bySurface) continue;
      const outcomes = [...bySurface.entries()].sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${outcome} ×${n.toLocaleString('en-US')}`);
      lines.push(`${surface.padEnd(width)}  ${this.inputsOf(surface).toLocaleString('en-US').padStart(8)}  ${outcomes.join(' · ')}`);
    }
    return lines.join('\n');
  }

  /** Every finding, grouped, with its reproduction. */
  formatFindings(): string {
    const lines: string[] = [];
    if (this.groups.size === 0) return 'findings: none';
    lines.push(`findings: ${this.findings} (${this.groups.size} distinct)`);
    for (const group of this.groups.values()) {
      const [first] = group.first;
      lines.push(`- [${first!.surface}] ${first!.check}${group.count > 1 ? ` (×${group.count})` : ''}`);
      for (const finding of group.first) {
        lines.push(`    ${finding.detail}`);
        lines.push(`    reproduce: ${finding.reproduce}`);
      }
    }
    return lines.join('\n');
  }

  /** Every finding, grouped, for a test's failure message. */
  list(): Finding[] {
    return [...this.groups.values()].flatMap((g) => g.first);
  }
}
