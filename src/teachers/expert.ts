/**
 * Expert teachers: programs that know the answer and return a next-token distribution at
 * any state the student reaches (tests, toy tasks, and DAgger with a scripted oracle).
 */
import type { ScoredTokens } from '../backends/types.ts';
import type { Task } from '../envs/types.ts';
import type { Teacher, TeacherRequest } from './types.ts';

/** A distribution over next tokens as parallel id/probability lists (probabilities sum to <= 1). */
export interface ExpertDistribution {
  ids: number[];
  probs: number[];
}

/** Given the task and the student's completion so far, what should come next. */
export type ExpertPolicy = (task: Task, prefix: readonly number[]) => ExpertDistribution;

export function expertTeacher(policy: ExpertPolicy, vocabSize: number, name = 'expert'): Teacher {
  return {
    name,
    async score(reqs: TeacherRequest[]): Promise<ScoredTokens[]> {
      return reqs.map((r, i) => {
        const T = r.completion.length, k = r.topK;
        if (!(k >= 1 && k <= vocabSize)) throw new Error(`expert teacher: topK must be in [1, ${vocabSize}], got ${k}`);
        const logprobs = new Float32Array(T);
        const topIds = new Int32Array(T * k);
        const topProbs = new Float32Array(T * k);
        for (let t = 0; t < T; t++) {
          const d = policy(r.task, r.completion.slice(0, t));
          if (d.ids.length !== d.probs.length) throw new Error(`expert teacher (request ${i}): ids and probs differ in length`);
          const order = d.ids.map((_, j) => j).sort((a, b) => d.probs[b] - d.probs[a] || d.ids[a] - d.ids[b]);
          let pTok = 0;
          order.forEach((j) => {
            if (d.ids[j] === r.completion[t]) pTok += d.probs[j];
          });
          logprobs[t] = Math.log(Math.max(pTok, 1e-30));
          // Pad the support with zero-probability ids so it always has k entries.
          const used = new Set<number>();
          let n = 0;
          for (const j of order) {
            if (n === k) break;
            if (used.has(d.ids[j])) continue;
            used.add(d.ids[j]);
            topIds[t * k + n] = d.ids[j];
            topProbs[t * k + n] = d.probs[j];
            n++;
          }
          for (let id = 0; n < k && id < vocabSize; id++) {
            if (used.has(id)) continue;
            topIds[t * k + n] = id;
            topProbs[t * k + n] = 0;
            n++;
          }
        }
        return { logprobs, topIds, topProbs, k };
      });
    },
  };
}

/**
 * An expert that follows the task's reference completion (tokenised, then end-of-sequence):
 * on the reference path it puts 1 - epsilon on the next reference token; off it, it has no
 * advice and returns the uniform distribution.
 */
export function referenceExpert(opts: { encode: (s: string) => number[]; eosId: number; vocabSize: number; epsilon?: number }): ExpertPolicy {
  const eps = opts.epsilon ?? 0.01;
  return (task, prefix) => {
    if (task.reference === undefined) throw new Error(`reference expert: task ${task.id} has no reference solution`);
    const ref = [...opts.encode(task.reference), opts.eosId];
    const onPath = prefix.length < ref.length && prefix.every((id, i) => id === ref[i]);
    if (!onPath) return { ids: Array.from({ length: opts.vocabSize }, (_, i) => i), probs: new Array(opts.vocabSize).fill(1 / opts.vocabSize) };
    const next = ref[prefix.length];
    const ids = [next], probs = [1 - eps];
    for (let i = 0; i < opts.vocabSize; i++) if (i !== next) { ids.push(i); probs.push(eps / (opts.vocabSize - 1)); }
    return { ids, probs };
  };
}
