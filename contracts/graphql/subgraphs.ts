import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';

/** The three subgraphs the gateway composes, each with its SDL file in this folder. */
export const SUBGRAPH_NAMES = ['user', 'wallet', 'transaction'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** The path every subgraph serves on its HTTP listener. */
export const SUBGRAPH_PATH = '/graphql';

const sdlCache = new Map<SubgraphName, string>();

/** A subgraph's SDL as written in contracts/graphql/<name>.graphql. */
export function subgraphSdl(name: SubgraphName): string {
  let sdl = sdlCache.get(name);
  if (sdl === undefined) {
    sdl = readFileSync(path.join(import.meta.dirname, `${name}.graphql`), 'utf8');
    sdlCache.set(name, sdl);
  }
  return sdl;
}

/** The parsed SDL, for buildSubgraphSchema and composition. */
export function subgraphTypeDefs(name: SubgraphName): DocumentNode {
  return parse(subgraphSdl(name));
}
