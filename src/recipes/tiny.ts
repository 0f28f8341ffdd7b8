/**
 * The built-in tiny models: a character tokenizer over the union alphabet of the built-in envs'
 * text (printable ASCII, newline, and the two non-ASCII symbols the science env prints) and
 * Llama-style shapes with RoPE. RoPE matters: with learned absolute positions the prototype's
 * teacher could not copy a shown solution across lengths (docs/tiny-setting.md).
 */
import { CharTokenizer } from '../models/char-tokenizer.ts';
import type { ModelConfig } from '../nn/config.ts';

/** Newline, printable ASCII (space..~), then '·' (hydrates) and '→' (equations). Order fixes the ids. */
export const TINY_ALPHABET: string = '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '·→';

export function tinyTokenizer(): CharTokenizer {
  return new CharTokenizer(TINY_ALPHABET);
}

export interface TinyShape {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
}

/** Named shapes. 'tiny-2.7m' is the default shape (docs/tiny-setting.md); 'micro' is for tests. */
export const TINY_SHAPES: Record<string, TinyShape> = {
  'tiny-2.7m': { hiddenSize: 192, numLayers: 6, numHeads: 6, intermediateSize: 512 },
  'tiny-1.2m': { hiddenSize: 128, numLayers: 6, numHeads: 4, intermediateSize: 352 },
  'tiny-0.6m': { hiddenSize: 128, numLayers: 3, numHeads: 4, intermediateSize: 352 },
  micro: { hiddenSize: 32, numLayers: 2, numHeads: 2, intermediateSize: 64 },
};

/** A model spec in a recipe config: a shape name, optionally with fields overridden. */
export type TinyModelSpec = string | (Partial<TinyShape> & { shape?: string; maxPositions?: number });

export function tinyModelConfig(spec: TinyModelSpec, vocabSize = tinyTokenizer().vocabSize): ModelConfig {
  const s = typeof spec === 'string' ? { shape: spec } : spec;
  const base = TINY_SHAPES[s.shape ?? 'tiny-2.7m'];
  if (!base) throw new Error(`tiny model: unknown shape '${s.shape}'; known: ${Object.keys(TINY_SHAPES).join(', ')}`);
  const shape: TinyShape = { ...base, ...Object.fromEntries(Object.entries(s).filter(([k]) => k in base)) } as TinyShape;
  if (shape.hiddenSize % shape.numHeads !== 0) throw new Error(`tiny model: hiddenSize ${shape.hiddenSize} is not a multiple of numHeads ${shape.numHeads}`);
  const tok = tinyTokenizer();
  return {
    architecture: 'llama',
    vocabSize,
    hiddenSize: shape.hiddenSize,
    intermediateSize: shape.intermediateSize,
    numLayers: shape.numLayers,
    numHeads: shape.numHeads,
    numKvHeads: shape.numHeads,
    headDim: shape.hiddenSize / shape.numHeads,
    maxPositions: s.maxPositions ?? 1024,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    qkNorm: false,
    bosTokenId: tok.bosId,
    eosTokenId: tok.eosId,
    padTokenId: tok.padId,
  };
}

/**
 * Stop strings for sampling a tiny model's solution. In the corpus a solution is followed by
 * <eos> only in plain and teacher examples; the attempt inside a teacher context goes on with
 * `\nFeedback:`, `\nCritique:`, `\nReward:` or (reference, peer) a newline and the prompt again,
 * so at T=1 a student sometimes writes such a tail after its answer. Sampling should stop there.
 */
export function tinyStopStrings(prompt: string): string[] {
  const head = prompt.split('\n')[0].slice(0, 3);
  return ['\nFeedback:', '\nCritique:', '\nReward:', ...(head.trim() ? [`\n${head}`] : [])];
}

/**
 * Token budget for sampling a tiny model's attempt at a task: 1.5x the reference's tokens + 8
 * (the gate's and the corpus's own attempts'), so a student that rambles is cut, not waited for.
 */
export function attemptBudget(tok: { encode(s: string): number[] }, task: { reference?: string }): number {
  return Math.ceil(tok.encode(task.reference ?? '').length * 1.5) + 8;
}
