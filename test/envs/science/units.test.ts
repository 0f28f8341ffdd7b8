import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, formatUnit, parseUnit, sameDimension, scale } from '../../../src/envs/science/units/units.ts';
import { conversionSteps, factorFor, formatFactor, generateUnits } from '../../../src/envs/science/units/generate.ts';
import { verifyUnits } from '../../../src/envs/science/units/verify.ts';
import type { Task } from '../../../src/envs/types.ts';
import { Rng } from '../../../src/util/rng.ts';

test('units parse into symbol powers and keep their dimension', () => {
  assert.deepEqual([...parseUnit('km/h')], [['km', 1], ['h', -1]]);
  assert.deepEqual([...parseUnit('kg/m^3')], [['kg', 1], ['m', -3]]);
  assert.equal(formatUnit(parseUnit('m/s^2')), 'm/s^2');
  assert.ok(sameDimension(parseUnit('L'), parseUnit('cm^3')));
  assert.ok(!sameDimension(parseUnit('m/s'), parseUnit('m')));
  assert.ok(Math.abs(scale(parseUnit('km/h')) - 1 / 3.6) < 1e-12);
  assert.throws(() => parseUnit('furlong'), /unknown unit 'furlong'/);
});

test('factors and conversions', () => {
  assert.equal(formatFactor(factorFor('km', 'm')), '1000 m/km');
  assert.equal(formatFactor(factorFor('s', 'h')), '1 h/3600 s');
  assert.equal(formatFactor(factorFor('mi', 'km')), '1.6093 km/mi');
  const r = conversionSteps(5, 'km/h', [factorFor('km', 'm'), factorFor('s', 'h')]);
  assert.deepEqual(r.steps, ['5 km/h * 1000 m/km = 5000 m/h', '5000 m/h * 1 h/3600 s = 1.3889 m/s']);
  assert.equal(r.unit, 'm/s');
  assert.equal(formatNumber(1 / 3600), '0.00027778');
  assert.equal(formatNumber(3000), '3000');
});

test('generated references are deterministic, and level 1 is a short single factor', () => {
  const a = generateUnits(1, new Rng(4));
  assert.deepEqual(a, generateUnits(1, new Rng(4)));
  assert.match(a.prompt, /^Q: \d+ \w+ to \w+\n$/);
  assert.equal(a.reference!.split('\n').length, 2);
  assert.ok(a.reference!.length < 40, a.reference);
  for (const level of [3, 4]) assert.ok(generateUnits(level, new Rng(level)).reference!.split('\n').length >= 2);
});

const kmh: Task = {
  id: 't', env: 'science', level: 3, prompt: 'Q: 5 km/h to m/s\n',
  meta: { kind: 'units', value: 5, from: 'km/h', to: 'm/s', answer: 25 / 18, steps: ['5 km/h * 1000 m/km = 5000 m/h', '5000 m/h * 1 h/3600 s = 1.3889 m/s'] },
};
const ref = '5 km/h * 1000 m/km = 5000 m/h\n5000 m/h * 1 h/3600 s = 1.3889 m/s\nA: 1.3889 m/s';

test('a correct chain passes, in the reference order or another valid one, within tolerance', () => {
  for (const c of [ref, '5 km/h * 1 h/3600 s = 0.0013889 km/s\n0.0013889 km/s * 1000 m/km = 1.3889 m/s\nA: 1.389 m/s', 'A: 1.3889 m/s', '5 km/h * 1000 m/km * 1 h/3600 s = 1.3889 m/s\nA: 1.3889 m/s.']) {
    const o = verifyUnits(kmh, c);
    assert.deepEqual([o.correct, o.feedback.items], [true, []], c);
  }
  assert.equal(verifyUnits(kmh, 'A: 1.39 m/s').correct, true, '8e-4 relative error is inside the default 1e-3');
  assert.equal(verifyUnits(kmh, 'A: 1.392 m/s').correct, false);
  assert.equal(verifyUnits(kmh, 'A: 1.38 m/s').correct, false);
  assert.equal(verifyUnits(kmh, 'A: 1.38 m/s', 0.01).correct, true);
});

test('a wrong factor is reported with the right one', () => {
  const o = verifyUnits(kmh, ref.replace('1000 m/km', '100 m/km'));
  assert.equal(o.correct, true, 'the answer line is still right');
  const it = o.feedback.items[0];
  assert.deepEqual([it.kind, it.where?.step, it.where?.line, it.where?.element, it.expected, it.actual], ['wrong_factor', 0, 1, 'km', '1000 m/km', '100 m/km']);
  const second = verifyUnits(kmh, '5 km/h * 1000 m/km * 1 h/360 s = 13.889 m/s\nA: 13.889 m/s').feedback.items[0];
  assert.deepEqual([second.kind, second.expected, second.actual], ['wrong_factor', '1 h/3600 s', '1 h/360 s']);
  const dims = verifyUnits(kmh, '5 km/h * 1000 m/s = 5000 m/h\nA: 1 m/s').feedback.items[0];
  assert.equal(dims.kind, 'wrong_factor');
  assert.match(dims.text, /measure different things/);
});

test('a wrong unit in a step or in the answer is reported', () => {
  const step = verifyUnits(kmh, '5 km/h * 1000 m/km = 5000 m/s\nA: 1.3889 m/s').feedback.items[0];
  assert.deepEqual([step.kind, step.where?.line, step.expected, step.actual], ['wrong_unit', 1, 'm/h', 'm/s']);
  const ans = verifyUnits(kmh, ref.replace('A: 1.3889 m/s', 'A: 1.3889 km/h'));
  assert.deepEqual([ans.correct, ans.feedback.items[0].kind, ans.feedback.items[0].expected], [false, 'wrong_unit', 'm/s']);
});

test('arithmetic slips, wrong starting values, bad answers and malformed lines', () => {
  const slip = verifyUnits(kmh, ref.replace('= 5000 m/h', '= 500 m/h')).feedback.items[0];
  assert.deepEqual([slip.kind, slip.where?.step, slip.expected], ['wrong_step', 0, '5 km/h * 1000 m/km = 5000 m/h']);
  const start = verifyUnits(kmh, ref.replace('5000 m/h *', '6000 m/h *')).feedback.items[0];
  assert.deepEqual([start.kind, start.where?.step, start.text], ['wrong_step', 1, 'line 2 should start from 5000 m/h']);
  const ans = verifyUnits(kmh, ref.replace('A: 1.3889', 'A: 13.889'));
  assert.deepEqual([ans.correct, ans.feedback.items.map((i) => i.kind)], [false, ['wrong_answer']]);
  assert.equal(verifyUnits(kmh, 'five km/h is fast\nA: 1.3889 m/s').feedback.items[0].kind, 'format');
  assert.deepEqual(verifyUnits(kmh, ref.split('\n').slice(0, 2).join('\n')).feedback.items.map((i) => i.kind), ['format']);
  assert.equal(verifyUnits(kmh, 'A: fast').feedback.items[0].kind, 'format');
});

test('hidden unit (levels 6-7): its size is the world\'s, feedback on a wrong factor reveals it', async () => {
  const { getEnv } = await import('../../../src/envs/registry.ts');
  const { slipScience } = await import('../../../src/envs/science/slips.ts');
  const { Rng } = await import('../../../src/util/rng.ts');
  const world = await getEnv('science');
  const tasks = world.tasks('train', 30, 1, { levels: [6, 7] });
  for (const t of tasks) {
    assert.match(t.prompt, /^Q: \d+ zap to (m|cm|mm)\n$/);
    assert.equal((t.meta.hidden as { scale: number }).scale, 100);
    assert.match(t.reference!, /^\d+ zap \* 100 m\/zap = \d+ m/);
    assert.equal((await world.evaluate(t, t.reference!)).reward, 1);
  }
  const t = tasks.find((x) => x.level === 6)!;
  const v = t.meta.value as number;
  const wrong = `${v} zap * 1000 m/zap = ${v * 1000} m\nA: ${v * 1000} m`;
  const out = await world.evaluate(t, wrong);
  assert.equal(out.correct, false);
  assert.equal(out.feedback.items[0].kind, 'wrong_factor');
  assert.equal(out.feedback.items[0].text, 'line 1 factor should be 100 m/zap');
  // A corpus world draws the size per task; attempts believe one of the candidates.
  const corpus = await getEnv('science', { hiddenScales: [10, 100, 1000, 10000] });
  const sizes = new Set(corpus.tasks('train', 60, 2, { levels: [6] }).map((x) => (x.meta.hidden as { scale: number }).scale));
  assert.deepEqual([...sizes].sort((a, b) => a - b), [10, 100, 1000, 10000]);
  const c = corpus.tasks('train', 1, 3, { levels: [7] })[0];
  const attempts = Array.from({ length: 12 }, (_, s) => slipScience(c, new Rng(s)));
  assert.ok(attempts.some((a) => !a.includes(`* ${(c.meta.hidden as { scale: number }).scale} m/zap`)), 'some attempts believe another size');
  for (const a of attempts) assert.equal((await corpus.evaluate(c, a)).correct, false, a);
  // Other levels and the chemistry coin are drawn as before the hidden unit existed.
  assert.deepEqual(world.tasks('train', 3, 0, { levels: [1] }).map((x) => x.prompt), ['Q: 15 kg to g\n', 'Q: 19 g to mg\n', 'Q: Cu3N2=Cu+N2\n']);
  await assert.rejects(getEnv('science', { hiddenScales: [0] }), /hiddenScales/);
});

test('house units (levels 8-9): four hidden lengths, each its own fact of the world, revealed by feedback', async () => {
  const { getEnv } = await import('../../../src/envs/registry.ts');
  const world = await getEnv('science');
  const tasks = world.tasks('test', 80, 0, { levels: [8, 9] });
  const seen = new Map<string, Set<number>>();
  for (const t of tasks) {
    const h = t.meta.hidden as { unit: string; scale: number };
    if (!seen.has(h.unit)) seen.set(h.unit, new Set());
    seen.get(h.unit)!.add(h.scale);
    assert.ok(t.prompt.startsWith(`Q: ${t.meta.value} ${h.unit} to `), t.prompt);
    assert.equal((await world.evaluate(t, t.reference!)).reward, 1);
  }
  // The default world: one size per unit, a different power of ten each.
  assert.deepEqual(Object.fromEntries([...seen].map(([u, s]) => [u, [...s]])), { zap: [100], vok: [10], tez: [1000], mib: [10000] });
  const t = tasks.find((x) => x.level === 8 && (x.meta.hidden as { unit: string }).unit === 'vok')!;
  const v = t.meta.value as number;
  const out = await world.evaluate(t, `${v} vok * 100 m/vok = ${v * 100} m\nA: ${v * 100} m`);
  assert.equal(out.correct, false);
  assert.equal(out.feedback.items[0].text, 'line 1 factor should be 10 m/vok');
  // A corpus draws every unit's size from the candidates.
  const all = [10, 100, 1000, 10000];
  const corpus = await getEnv('science', { hiddenUnits: { zap: all, vok: all, tez: all, mib: all } });
  const sizes = new Set(corpus.tasks('train', 200, 1, { levels: [8] }).filter((x) => (x.meta.hidden as { unit: string }).unit === 'tez').map((x) => (x.meta.hidden as { scale: number }).scale));
  assert.deepEqual([...sizes].sort((a, b) => a - b), all);
  // Levels 6-7 are untouched by the option (zap alone, hiddenScales).
  assert.ok(corpus.tasks('train', 20, 1, { levels: [6, 7] }).every((x) => (x.meta.hidden as { unit: string; scale: number }).unit === 'zap'));
  await assert.rejects(getEnv('science', { hiddenUnits: { zap: [100] } }), /hiddenUnits \.vok/);
  await assert.rejects(getEnv('science', { hiddenUnits: { zap: [1], vok: [1], tez: [1], mib: [1], yard: [1] } }), /unknown unit 'yard'/);
  await assert.rejects(getEnv('science', { hiddenUnits: [1] }), /must be an object/);
});
