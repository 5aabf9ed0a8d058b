import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 or IPv6 address as a number, for `cidr` event-pattern matching. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, value: ipv4ToBigInt(text) };
  if (isIPv6(text)) return { family: 6, value: ipv6ToBigInt(text) };
  return undefined;
}

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(text: string): bigint {
  let address = text.split('%')[0]!;
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]!);
    address = `${address.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const hextets = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  return hextets.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n);
}

/** A parsed CIDR block; `undefined` with a reason when the text is not one (the messages follow AWS's). */
export interface CidrBlock {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

export function parseCidr(text: string): CidrBlock | string {
  const parts = text.split('/');
  if (parts.length !== 2) return "Malformed CIDR, one '/' required";
  const [ipText = '', maskText = ''] = parts;
  if (!/^\d+$/.test(maskText)) return 'Malformed CIDR, mask bits must be an integer';
  const ip = parseIp(ipText);
  if (!ip) return `Nonstandard IP address: ${ipText}`;
  const width = ip.family === 4 ? 32 : 128;
  const mask = Number(maskText);
  if (mask > width) return `Malformed CIDR, mask bits must be between 0 and ${width}`;
  const hostBits = BigInt(width - mask);
  const first = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, first, last: first + (1n << hostBits) - 1n };
}

export function cidrContains(block: CidrBlock, address: string): boolean {
  const ip = parseIp(address);
  return !!ip && ip.family === block.family && ip.value >= block.first && ip.value <= block.last;
}
