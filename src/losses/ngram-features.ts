/**
 * The fixed observation RND sees for a (prompt, completion) pair: counts of the character
 * 1- to 3-grams of each, hashed (FNV-1a) into `buckets` slots, prompt and completion n-grams
 * tagged apart, the completion framed by start and end marks so that how it begins and ends
 * counts. Fixed and stationary (unlike the policy's own hidden states), cheap, and it
 * separates texts that differ in a few characters.
 */
export function ngramFeatures(prompt: string, completion: string, buckets = 512, maxN = 3): Float64Array {
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`ngramFeatures: buckets must be a whole number >= 1, got ${buckets}`);
  const out = new Float64Array(buckets);
  const add = (tag: string, text: string) => {
    for (let n = 1; n <= maxN; n++) {
      for (let i = 0; i + n <= text.length; i++) out[fnv1a(tag + text.slice(i, i + n)) % buckets] += 1;
    }
  };
  add('p', prompt);
  add('c', '\u0002' + completion + '\u0003');
  return out;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
