import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, classify, makeClassifier, trainClassifier } from '../../src/diffusion/classifier.ts';
import { digitBatch, drawDigit } from '../../src/diffusion/digits.ts';
import { Rng } from '../../src/util/rng.ts';

test('procedural digits: 16x16 in [-1, 1], ink present, seeded, bad labels rejected', () => {
  const a = digitBatch(20, new Rng(3)), b = digitBatch(20, new Rng(3));
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(a.images, b.images);
  assert.equal(a.images.length, 20 * 256);
  for (const v of a.images) assert.ok(v >= -1 && v <= 1);
  for (let i = 0; i < 20; i++) {
    const ink = a.images.subarray(i * 256, (i + 1) * 256).filter((v) => v > 0).length;
    assert.ok(ink >= 10 && ink < 150, `image ${i}: ${ink} inked pixels`);
  }
  assert.throws(() => drawDigit(10, new Rng(1)), /prompt|digit 10 is not a digit class/);
  assert.throws(() => drawDigit(1.5, new Rng(1)), /integer 0..9/);
});

test('the classifier learns the procedural digits', () => {
  const clf = makeClassifier(new Rng(1), 32);
  const acc = trainClassifier(clf, { steps: 300, batch: 32, lr: 3e-3, seed: 2 });
  assert.ok(acc > 0.9, `held-out accuracy ${acc}`);
  const t = digitBatch(50, new Rng(99));
  assert.ok(accuracy(classify(clf, t.images), t.labels) > 0.9);
  assert.throws(() => classify(clf, new Float32Array(100)), /not whole 16x16 images/);
});
