/**
 * Teachers that are language models: the student itself (live), a copy of its initial weights
 * (frozen), an exponential moving average of it (ema), or any other PolicyBackend (external:
 * another local model, or a server behind the OpenAI-compatible client).
 */
import type { PolicyBackend, ScoredTokens } from '../backends/types.ts';
import type { Teacher, TeacherRequest } from './types.ts';

function scoreWith(backend: PolicyBackend, reqs: TeacherRequest[]): Promise<ScoredTokens[]> {
  return backend.score(reqs.map((r) => ({ prompt: r.contextTokens, completion: r.completion, topK: r.topK })));
}

/** The current student weights (the paper's formulation; nothing anchors it). */
export function liveTeacher(student: PolicyBackend): Teacher {
  return { name: 'live', backend: student, score: (reqs) => scoreWith(student, reqs) };
}

/** The student's weights at the start of the run, never updated (OPSD's setting). */
export async function frozenTeacher(student: PolicyBackend): Promise<Teacher> {
  const snap = await student.snapshot('frozen');
  return {
    name: 'frozen',
    backend: snap,
    score: (reqs) => scoreWith(snap, reqs),
    save: async (dir) => saveSnapshot(snap, dir),
    load: async (dir) => loadSnapshot(snap, dir),
  };
}

/** teacher <- (1 - rate) teacher + rate student after every step (SDPO uses rate 0.05). */
export async function emaTeacher(student: PolicyBackend, rate: number): Promise<Teacher> {
  if (!(rate > 0 && rate <= 1)) throw new Error(`ema teacher: rate must be in (0, 1], got ${rate}`);
  const snap = await student.snapshot('ema');
  const ema = snap.emaUpdateFrom?.bind(snap);
  if (!ema) throw new Error('ema teacher: the backend has no weight arithmetic to average weights with; use teacher frozen or live');
  return {
    name: `ema(${rate})`,
    backend: snap,
    score: (reqs) => scoreWith(snap, reqs),
    afterStep: async (s) => ema(s, rate),
    save: async (dir) => saveSnapshot(snap, dir),
    load: async (dir) => loadSnapshot(snap, dir),
  };
}

/** Another model (local folder or server) with the same tokenizer. */
export function externalTeacher(backend: PolicyBackend, name = 'external'): Teacher {
  return { name, backend, score: (reqs) => scoreWith(backend, reqs) };
}

async function saveSnapshot(b: PolicyBackend, dir: string): Promise<void> {
  await b.saveSnapshot?.(dir);
}

async function loadSnapshot(b: PolicyBackend, dir: string): Promise<void> {
  await b.loadSnapshot?.(dir);
}
