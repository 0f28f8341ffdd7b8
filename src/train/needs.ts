/**
 * What some algorithms need beyond samples and rewards: the student's hidden states of its
 * own tokens (DelTA), and an env that reads final answers (answer voting).
 */
import type { PolicyBackend } from '../backends/types.ts';
import type { Rollout, StepData } from '../algorithms/types.ts';
import type { Env } from '../envs/types.ts';
import { ConfigError } from '../util/schema.ts';

/**
 * Fails before training when the env gives no Outcome.answer: its first test tasks' reference
 * solutions must come back with one.
 */
export async function checkEnvAnswers(env: Env, algorithm: string): Promise<void> {
  const tasks = env.tasks('test', 3, 0).filter((t) => t.reference !== undefined);
  if (!tasks.length) throw new ConfigError(`${algorithm}: env ${env.name} has no reference solution to check that it reads final answers (Outcome.answer); answer voting needs them`);
  for (const t of tasks) {
    if ((await env.evaluate(t, t.reference!)).answer === undefined) {
      throw new ConfigError(`${algorithm}: env ${env.name} gives no Outcome.answer (its reference for ${t.id} has none), so answers cannot be voted on; choose an env that reads final answers (math, science, code, math-jsonl, mcq-jsonl) or set voteWeight to 0`);
    }
  }
}

/** The student's final-norm hidden state and log-prob of every token of its rollouts, from one scoring pass before the update. */
export async function hiddenStates(policy: PolicyBackend, rollouts: Rollout[]): Promise<NonNullable<StepData['hidden']>> {
  const scored = await policy.score(rollouts.map((r) => ({ prompt: r.prompt, completion: r.tokens, hidden: true })));
  let dim = 0;
  scored.forEach((s, i) => {
    const T = rollouts[i].tokens.length;
    if (!s.hidden) throw new Error(`the policy backend returned no hidden states for rollout ${i} (it must support score(..., hidden: true))`);
    if (T > 0) {
      if (s.hidden.length % T !== 0) throw new Error(`hidden states of rollout ${i}: ${s.hidden.length} values for ${T} tokens`);
      dim = s.hidden.length / T;
    }
  });
  return { dim, states: scored.map((s) => s.hidden!), logprobs: scored.map((s) => s.logprobs) };
}
