/**
 * Loading and saving the weights of a model folder: one `model.safetensors`, or shards listed
 * by `model.safetensors.index.json` ({"metadata": {"total_size"}, "weight_map": {tensor: shard}})
 * as transformers writes them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.ts';
import { readSafetensors, writeSafetensors, type TensorDestination } from './safetensors.ts';
import type { SaveDtype, WeightMap, WeightTensor } from './types.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface LoadedWeights {
  tensors: WeightMap;
  /** Which file each tensor came from (for error messages). */
  sources: Map<string, string>;
  /** Stored dtype of each tensor. */
  dtypes: Map<string, string>;
  /** The file(s) read, for messages: "model.safetensors" or the index. */
  description: string;
}

/** Load the weights of a folder: sharded if the index exists, else the single file. */
export function loadWeights(dir: string, into?: TensorDestination): LoadedWeights {
  const indexPath = join(dir, INDEX_FILE);
  const singlePath = join(dir, SINGLE_FILE);
  if (existsSync(indexPath)) return loadSharded(dir, indexPath, into);
  if (existsSync(singlePath)) {
    const { tensors, dtypes } = readSafetensors(singlePath, into);
    const sources = new Map<string, string>();
    for (const name of tensors.keys()) sources.set(name, singlePath);
    return { tensors, sources, dtypes, description: singlePath };
  }
  const legacy = ['pytorch_model.bin', 'model.pt', 'consolidated.00.pth'].filter((f) => existsSync(join(dir, f)));
  throw new Error(
    `model folder ${dir} has no ${SINGLE_FILE} and no ${INDEX_FILE}` +
      (legacy.length ? ` (found ${legacy.join(', ')}: distil reads only safetensors; convert with transformers' save_pretrained(safe_serialization=True))` : ''),
  );
}

function loadSharded(dir: string, indexPath: string, into?: TensorDestination): LoadedWeights {
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new Error(`${indexPath} is not valid JSON (${(e as Error).message})`);
  }
  const wm = index?.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) throw new Error(`${indexPath} has no "weight_map" object`);
  const weightMap = wm as Record<string, unknown>;
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
      throw new Error(`${indexPath}: tensor "${name}" maps to ${JSON.stringify(shard)}, which is not a file name in the folder`);
    }
    if (!byShard.has(shard)) byShard.set(shard, []);
    byShard.get(shard)!.push(name);
  }
  const tensors: WeightMap = new Map();
  const sources = new Map<string, string>();
  const dtypes = new Map<string, string>();
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    if (!existsSync(path)) throw new Error(`${indexPath} lists shard ${shard} (holding e.g. tensor "${names[0]}") but ${path} does not exist`);
    const wanted = new Set(names);
    const contents = readSafetensors(path, into && ((name, n) => (wanted.has(name) ? into(name, n) : undefined)));
    for (const name of names) {
      const t = contents.tensors.get(name);
      if (!t) throw new Error(`${indexPath} says tensor "${name}" is in ${shard}, but ${path} does not contain it`);
      tensors.set(name, t);
      sources.set(name, path);
      dtypes.set(name, contents.dtypes.get(name)!);
    }
    // Tensors present in a shard but absent from the index are ignored, as transformers does.
  }
  return { tensors, sources, dtypes, description: indexPath };
}

export interface SaveWeightsOptions {
  dtype?: SaveDtype;
  /** Split into shards of at most this many bytes (a single tensor larger than this gets its own shard). */
  maxShardBytes?: number;
}

/** Save weights as model.safetensors, or as shards plus the index when maxShardBytes is exceeded. */
export function saveWeights(dir: string, weights: WeightMap, opts: SaveWeightsOptions = {}): string[] {
  const dtype = opts.dtype ?? 'F32';
  const bytes = dtype === 'F32' ? 4 : 2;
  const items = [...weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const total = items.reduce((s, [, t]) => s + t.data.length * bytes, 0);
  if (!opts.maxShardBytes || total <= opts.maxShardBytes) {
    writeSafetensors(join(dir, SINGLE_FILE), items, { dtype });
    return [SINGLE_FILE];
  }
  const shards: Array<Array<[string, WeightTensor]>> = [[]];
  let used = 0;
  for (const item of items) {
    const size = item[1].data.length * bytes;
    if (used > 0 && used + size > opts.maxShardBytes) {
      shards.push([]);
      used = 0;
    }
    shards[shards.length - 1].push(item);
    used += size;
  }
  const n = shards.length;
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    writeSafetensors(join(dir, names[i]), shard, { dtype });
    for (const [name] of shard) weightMap[name] = names[i];
  });
  // The index goes last: a reader never sees an index pointing at shards not yet written.
  writeJsonAtomic(join(dir, INDEX_FILE), { metadata: { total_size: total }, weight_map: weightMap });
  return [...names, INDEX_FILE];
}
