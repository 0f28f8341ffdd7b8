/**
 * Model families that share the model-folder format but not the way they are run. A
 * masked-diffusion LM folder (src/diffusion-lm/) is an ordinary model folder plus
 * `diffusion_lm.json`; autoregressive code must not train or sample it as if it were causal.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const DIFFUSION_LM_FILE = 'diffusion_lm.json';

export function isDiffusionLmFolder(dir: string): boolean {
  return existsSync(join(dir, DIFFUSION_LM_FILE));
}

/** For autoregressive code paths: one clear error for a masked-diffusion folder, saying what to use. */
export function refuseDiffusionLm(dir: string, who: string): void {
  if (isDiffusionLmFolder(dir))
    throw new Error(`${who}: ${dir} is a masked-diffusion LM (it has ${DIFFUSION_LM_FILE}), not an autoregressive model; train it with 'distil dlm train' (docs/diffusion-lm.md)`);
}
