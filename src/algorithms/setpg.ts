/**
 * Set policy gradient under reward uncertainty (docs/set-objectives.md): maximise the expected
 * best of k samples, E_{R~P} E[max_j R(a_j)], where P is a distribution over reward functions —
 * the env's reward channels (Outcome.components) or its one reward (then this is PKPO). Each
 * group's samples get the subset-average effective rewards of losses/set-objective.ts, a
 * baseline (group mean, or leave-one-out), and the clipped policy gradient of GRPO.
 */
import { expandToTokens, grpoAdvantages } from '../losses/advantages.ts';
import { leaveOneOutBaseline, setObjectiveEstimate, setObjectiveRewards } from '../losses/set-objective.ts';
import { anchoredPolicyGradient, groupsOf } from './common.ts';
import { GRPO_OPTIONS } from './grpo.ts';
import { INTRINSIC_OPTIONS, makeIntrinsic } from './intrinsic.ts';
import { ConfigError, resolveOptions, type Schema } from '../util/schema.ts';
import type { Algorithm, Rollout, StepData } from './types.ts';

export const SETPG_OPTIONS = {
  ...GRPO_OPTIONS,
  ...INTRINSIC_OPTIONS,
  k: { type: 'number', default: 2, min: 1, integer: true, help: 'set size: the objective is the expected best of k samples (1 = vanilla policy gradient on the mean reward)' },
  functions: { type: 'enum', values: ['components', 'reward'], default: 'components', help: "reward functions: the env's Outcome.components (P over them), or its one reward (PKPO)" },
  weights: { type: 'object', default: {}, help: 'P over the components by name (default uniform); unnormalised weights' },
  baseline: { type: 'enum', values: ['mean', 'loo'], default: 'mean', help: "'mean': group mean-centering (then scaling as GRPO); 'loo': the estimate from the other samples (unbiased; needs groupSize > k)" },
} as const satisfies Schema;

export function setpg(options?: Record<string, unknown>): Algorithm {
  const o = resolveOptions(SETPG_OPTIONS, options, 'setpg');
  for (const [name, w] of Object.entries(o.weights)) {
    if (typeof w !== 'number' || !(w >= 0)) throw new ConfigError(`setpg: weights.${name} must be a number >= 0, got ${JSON.stringify(w)}`);
  }
  const intrinsic = makeIntrinsic(o);
  return {
    name: 'setpg',
    needs: { sampling: true, refLogprobs: o.klBeta > 0 },
    build(step: StepData) {
      const rs = step.rollouts;
      const groups = groupsOf(rs);
      const effective = new Float64Array(rs.length), base = new Float64Array(rs.length);
      let estimate = 0, nGroups = 0;
      for (const idx of membersOf(groups)) {
        const { rows, weights } = rewardFunctions(idx.map((i) => rs[i]), o.functions, o.weights as Record<string, number>);
        const r = setObjectiveRewards(rows, o.k, weights);
        const b = o.baseline === 'loo' ? leaveOneOutBaseline(rows, o.k, weights) : null;
        idx.forEach((i, j) => ((effective[i] = r[j]), (base[i] = b ? b[j] : 0)));
        estimate += setObjectiveEstimate(rows, o.k, weights);
        nGroups++;
      }
      const ext = o.baseline === 'mean' ? grpoAdvantages(effective, groups, o.scaling) : looAdvantages(effective, base, groups, o.scaling);
      const bonus = intrinsic?.apply(rs, ext, groups);
      const adv = bonus?.adv ?? ext;
      return anchoredPolicyGradient(step, expandToTokens(adv, rs.map((r) => r.tokens.length)), o, {
        'setpg/estimate': estimate / nGroups, 'setpg/nonzero_adv_frac': ext.filter((a) => a !== 0).length / ext.length, ...bonus?.metrics,
      });
    },
    ...(intrinsic && { state: () => intrinsic.state(), loadState: (s: unknown) => intrinsic.load(s) }),
  };
}

function membersOf(groups: number[]): number[][] {
  const m = new Map<number, number[]>();
  groups.forEach((g, i) => (m.has(g) ? m.get(g)!.push(i) : m.set(g, [i])));
  return [...m.values()];
}

/** One group's reward functions: rows[m][j] = function m on the group's sample j, and P's weights. */
function rewardFunctions(rs: Rollout[], functions: 'components' | 'reward', given: Record<string, number>): { rows: number[][]; weights?: number[] } {
  if (functions === 'reward') return { rows: [rs.map((r) => r.outcome.reward)] };
  const names = Object.keys(rs[0].outcome.components ?? {}).sort();
  if (!names.length) throw new Error(`setpg: task ${rs[0].task.id} gave no Outcome.components (env '${rs[0].task.env}' has one reward function); use functions: 'reward' (PKPO)`);
  rs.forEach((r) => {
    const keys = Object.keys(r.outcome.components ?? {}).sort();
    if (keys.join('\u0000') !== names.join('\u0000')) {
      throw new Error(`setpg: samples of task ${r.task.id} name different reward functions ([${names.join(', ')}] vs [${keys.join(', ')}]); an env must score every sample of a prompt with the same functions`);
    }
  });
  const rows = names.map((n) => rs.map((r) => r.outcome.components![n]));
  if (!Object.keys(given).length) return { rows };
  const missing = names.filter((n) => given[n] === undefined);
  if (missing.length) throw new Error(`setpg: weights give no weight to reward function(s) ${missing.join(', ')} of task ${rs[0].task.id}; name every component or leave weights empty (uniform)`);
  return { rows, weights: names.map((n) => given[n]) };
}

/** Effective reward minus the leave-one-out baseline, divided as GRPO by the reward std of the group (or batch) + 1e-4. */
function looAdvantages(effective: Float64Array, base: Float64Array, groups: number[], scaling: 'group' | 'batch' | 'none'): Float32Array {
  const std = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  };
  const div = new Float64Array(effective.length).fill(1);
  if (scaling === 'batch') div.fill(std(Array.from(effective)) + 1e-4);
  if (scaling === 'group') for (const idx of membersOf(groups)) { const s = std(idx.map((i) => effective[i])) + 1e-4; for (const i of idx) div[i] = s; }
  // Rounding leaves ~1e-16 where a group's rewards are all equal: that is no signal.
  return Float32Array.from(effective, (e, i) => (Math.abs(e - base[i]) < 1e-12 ? 0 : (e - base[i]) / div[i]));
}
