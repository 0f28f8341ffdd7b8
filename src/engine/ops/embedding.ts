/** Token embedding: a row lookup forward, a scatter-add backward. */
import { kernels } from '../kernels/index.ts';
import { record, Tensor } from '../tensor.ts';
import { checkIds, fail } from './util.ts';

/** table [V, D], ids (n) -> [n, D]. */
export function embedding(table: Tensor, ids: Int32Array): Tensor {
  if (table.shape.length !== 2) fail('embedding', `table ${table.describe()} must be 2-D [vocab, dim]`);
  const [V, D] = table.shape;
  checkIds('embedding', ids, V, 'ids');
  const out = Tensor.empty([ids.length, D]);
  kernels().embedding(table.data, ids, D, out.data);
  return record(out, [table], (g) => kernels().embeddingBackward(g, ids, D, table.zeroedGrad()));
}
