/**
 * The problem families of the `code` env, by level. A family is a function template with
 * integer parameters; a problem is a family with its parameters chosen. Each problem knows
 * its reference solution (the JavaScript the student should write), its meaning (a TS
 * function that computes expected values), how to draw inputs, and for levels 3+ a short
 * description. Level 1-2 code is one short line so that a character-level model of a few
 * million parameters can learn it; later levels are for real models.
 */
import type { Rng } from '../../util/rng.ts';

export type Value = number | string | boolean | Value[];

export interface Problem {
  /** Canonical name with parameters, e.g. 'add_const(3)'. */
  key: string;
  /** Reference solution, e.g. 'function f(x){return x+3}'. */
  code: string;
  fn: (...args: any[]) => Value;
  /** One random argument list. */
  input: (rng: Rng) => Value[];
  /** Levels 3+: a few words said before the examples. */
  desc?: string;
}

export interface Family {
  name: string;
  level: number;
  /** Inclusive integer ranges of the parameters. */
  params: [number, number][];
  build: (...p: number[]) => Problem;
}

// Inputs -------------------------------------------------------------------------------
const digit = (rng: Rng) => rng.range(0, 9);
const one = (rng: Rng): Value[] => [digit(rng)];
const two = (rng: Rng): Value[] => [digit(rng), digit(rng)];
const array = (lo: number, hi: number) => (rng: Rng): Value[] => [Array.from({ length: rng.range(lo, hi) }, () => digit(rng))];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const word = (rng: Rng, lo = 1, hi = 6) => Array.from({ length: rng.range(lo, hi) }, () => rng.pick([...LETTERS])).join('');
const wordIn = (rng: Rng): Value[] => [word(rng)];
/** Words from a small alphabet, so that letter counts and repeats are common. */
const smallWord = (rng: Rng): Value[] => [Array.from({ length: rng.range(1, 7) }, () => rng.pick(['a', 'b', 'c', 'e', 'o'])).join('')];
const maybePalindrome = (rng: Rng): Value[] => {
  const w = word(rng, 1, 4);
  if (rng.next() < 0.5) return [w];
  const rev = [...w].reverse().join('');
  return [rng.next() < 0.5 ? w + rev : w + rev.slice(1)];
};
const runs = (rng: Rng): Value[] => [Array.from({ length: rng.range(1, 4) }, () => rng.pick(['a', 'b', 'c']).repeat(rng.range(1, 3))).join('')];
const sentence = (rng: Rng): Value[] => [Array.from({ length: rng.range(1, 5) }, () => word(rng, 1, 5)).join(' ')];

const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
const p = (name: string, level: number, params: [number, number][], build: (...p: number[]) => Problem): Family => ({ name, level, params, build });

// Level 1: one operation on one or two digits.
const level1: Family[] = [
  p('add_const', 1, [[1, 9]], (c) => ({ key: `x+${c}`, code: `function f(x){return x+${c}}`, fn: (x: number) => x + c, input: one })),
  p('sub_const', 1, [[1, 9]], (c) => ({ key: `x-${c}`, code: `function f(x){return x-${c}}`, fn: (x: number) => x - c, input: one })),
  p('mul_const', 1, [[2, 9]], (c) => ({ key: `x*${c}`, code: `function f(x){return x*${c}}`, fn: (x: number) => x * c, input: one })),
  p('const_sub', 1, [[1, 9]], (c) => ({ key: `${c}-x`, code: `function f(x){return ${c}-x}`, fn: (x: number) => c - x, input: one })),
  p('add', 1, [], () => ({ key: 'x+y', code: 'function f(x,y){return x+y}', fn: (x: number, y: number) => x + y, input: two })),
  p('sub', 1, [], () => ({ key: 'x-y', code: 'function f(x,y){return x-y}', fn: (x: number, y: number) => x - y, input: two })),
  p('mul', 1, [], () => ({ key: 'x*y', code: 'function f(x,y){return x*y}', fn: (x: number, y: number) => x * y, input: two })),
];

// Level 2: two operations, or a conditional.
const level2: Family[] = [
  p('mul_add', 2, [[2, 5], [1, 9]], (a, b) => ({ key: `x*${a}+${b}`, code: `function f(x){return x*${a}+${b}}`, fn: (x: number) => x * a + b, input: one })),
  p('add_mul', 2, [[1, 5], [2, 5]], (a, b) => ({ key: `(x+${a})*${b}`, code: `function f(x){return (x+${a})*${b}}`, fn: (x: number) => (x + a) * b, input: one })),
  p('square_add', 2, [[0, 9]], (c) => ({ key: `x*x+${c}`, code: `function f(x){return x*x+${c}}`, fn: (x: number) => x * x + c, input: one })),
  p('mul_add2', 2, [[1, 9]], (c) => ({ key: `x*y+${c}`, code: `function f(x,y){return x*y+${c}}`, fn: (x: number, y: number) => x * y + c, input: two })),
  p('max2', 2, [], () => ({ key: 'max', code: 'function f(x,y){return x>y?x:y}', fn: (x: number, y: number) => (x > y ? x : y), input: two })),
  p('min2', 2, [], () => ({ key: 'min', code: 'function f(x,y){return x<y?x:y}', fn: (x: number, y: number) => (x < y ? x : y), input: two })),
  p('absdiff', 2, [], () => ({ key: 'absdiff', code: 'function f(x,y){return x>y?x-y:y-x}', fn: (x: number, y: number) => (x > y ? x - y : y - x), input: two })),
  p('max_const', 2, [[2, 7]], (c) => ({ key: `max${c}`, code: `function f(x){return x>${c}?x:${c}}`, fn: (x: number) => (x > c ? x : c), input: one })),
  p('parity', 2, [[2, 4], [1, 5]], (a, b) => ({ key: `odd*${a}:+${b}`, code: `function f(x){return x%2?x*${a}:x+${b}}`, fn: (x: number) => (x % 2 ? x * a : x + b), input: one })),
];

// Level 3: a loop over an array, giving a number.
const arr3 = array(1, 5);
const level3: Family[] = [
  p('sum', 3, [], () => ({ key: 'sum', desc: 'sum', code: 'function f(a){let s=0;for(const v of a)s+=v;return s}', fn: (a: number[]) => sum(a), input: arr3 })),
  p('product', 3, [], () => ({ key: 'product', desc: 'product', code: 'function f(a){let p=1;for(const v of a)p*=v;return p}', fn: (a: number[]) => a.reduce((s, v) => s * v, 1), input: arr3 })),
  p('max', 3, [], () => ({ key: 'max', desc: 'largest', code: 'function f(a){let m=a[0];for(const v of a)if(v>m)m=v;return m}', fn: (a: number[]) => Math.max(...a), input: arr3 })),
  p('min', 3, [], () => ({ key: 'min', desc: 'smallest', code: 'function f(a){let m=a[0];for(const v of a)if(v<m)m=v;return m}', fn: (a: number[]) => Math.min(...a), input: arr3 })),
  p('count_gt', 3, [[2, 7]], (c) => ({ key: `count>${c}`, desc: `count >${c}`, code: `function f(a){let n=0;for(const v of a)if(v>${c})n++;return n}`, fn: (a: number[]) => a.filter((v) => v > c).length, input: arr3 })),
  p('count_even', 3, [], () => ({ key: 'count_even', desc: 'count even', code: 'function f(a){let n=0;for(const v of a)if(v%2==0)n++;return n}', fn: (a: number[]) => a.filter((v) => v % 2 === 0).length, input: arr3 })),
  p('sum_even', 3, [], () => ({ key: 'sum_even', desc: 'sum of even', code: 'function f(a){let s=0;for(const v of a)if(v%2==0)s+=v;return s}', fn: (a: number[]) => sum(a.filter((v) => v % 2 === 0)), input: arr3 })),
];

// Level 4: arrays to arrays.
const arr4 = array(0, 5);
const level4: Family[] = [
  p('map_mul', 4, [[2, 5]], (c) => ({ key: `map*${c}`, desc: `each *${c}`, code: `function f(a){return a.map(v=>v*${c})}`, fn: (a: number[]) => a.map((v) => v * c), input: arr4 })),
  p('map_add', 4, [[1, 9]], (c) => ({ key: `map+${c}`, desc: `each +${c}`, code: `function f(a){return a.map(v=>v+${c})}`, fn: (a: number[]) => a.map((v) => v + c), input: arr4 })),
  p('squares', 4, [], () => ({ key: 'squares', desc: 'squares', code: 'function f(a){return a.map(v=>v*v)}', fn: (a: number[]) => a.map((v) => v * v), input: arr4 })),
  p('keep_even', 4, [], () => ({ key: 'keep_even', desc: 'keep even', code: 'function f(a){return a.filter(v=>v%2==0)}', fn: (a: number[]) => a.filter((v) => v % 2 === 0), input: arr4 })),
  p('keep_gt', 4, [[2, 7]], (c) => ({ key: `keep>${c}`, desc: `keep >${c}`, code: `function f(a){return a.filter(v=>v>${c})}`, fn: (a: number[]) => a.filter((v) => v > c), input: arr4 })),
  p('reverse', 4, [], () => ({ key: 'reverse', desc: 'reverse', code: 'function f(a){return a.slice().reverse()}', fn: (a: number[]) => a.slice().reverse(), input: arr4 })),
  p('prefix_sums', 4, [], () => ({ key: 'prefix', desc: 'running sum', code: 'function f(a){let s=0;return a.map(v=>s+=v)}', fn: (a: number[]) => { let s = 0; return a.map((v) => (s += v)); }, input: arr4 })),
];

// Level 5: strings.
const level5: Family[] = [
  p('str_reverse', 5, [], () => ({ key: 'reverse', desc: 'reverse', code: "function f(s){return s.split('').reverse().join('')}", fn: (s: string) => [...s].reverse().join(''), input: wordIn })),
  p('upper', 5, [], () => ({ key: 'upper', desc: 'uppercase', code: 'function f(s){return s.toUpperCase()}', fn: (s: string) => s.toUpperCase(), input: wordIn })),
  p('count_char', 5, [[0, 4]], (i) => {
    const c = 'abceo'[i];
    return { key: `count_${c}`, desc: `count '${c}'`, code: `function f(s){let n=0;for(const c of s)if(c==='${c}')n++;return n}`, fn: (s: string) => [...s].filter((x) => x === c).length, input: smallWord };
  }),
  p('double_letters', 5, [], () => ({ key: 'double', desc: 'double each letter', code: "function f(s){let r='';for(const c of s)r+=c+c;return r}", fn: (s: string) => [...s].map((c) => c + c).join(''), input: wordIn })),
  p('no_vowels', 5, [], () => ({ key: 'no_vowels', desc: 'remove vowels', code: "function f(s){return s.replace(/[aeiou]/g,'')}", fn: (s: string) => s.replace(/[aeiou]/g, ''), input: wordIn })),
  p('palindrome', 5, [], () => ({ key: 'palindrome', desc: 'is palindrome', code: "function f(s){return s===s.split('').reverse().join('')}", fn: (s: string) => s === [...s].reverse().join(''), input: maybePalindrome })),
  p('capitalize', 5, [], () => ({ key: 'capitalize', desc: 'capitalize', code: 'function f(s){return s[0].toUpperCase()+s.slice(1)}', fn: (s: string) => s[0].toUpperCase() + s.slice(1), input: wordIn })),
];

// Level 6: two ideas at once; descriptions are sentences (for real models).
const arr6 = array(1, 7);
const level6: Family[] = [
  p('dedupe', 6, [], () => ({ key: 'dedupe', desc: 'remove duplicates, keeping first occurrences in order', code: 'function f(a){return a.filter((v,i)=>a.indexOf(v)===i)}', fn: (a: number[]) => a.filter((v, i) => a.indexOf(v) === i), input: arr6 })),
  p('distinct', 6, [], () => ({ key: 'distinct', desc: 'number of distinct values', code: 'function f(a){return new Set(a).size}', fn: (a: number[]) => new Set(a).size, input: arr6 })),
  p('argmax', 6, [], () => ({ key: 'argmax', desc: 'index of the first largest element', code: 'function f(a){let b=0;for(let i=1;i<a.length;i++)if(a[i]>a[b])b=i;return b}', fn: (a: number[]) => a.indexOf(Math.max(...a)), input: arr6 })),
  p('rotate', 6, [[1, 3]], (k) => ({ key: `rotate${k}`, desc: `rotate left by ${k} places`, code: `function f(a){const k=${k}%a.length;return a.slice(k).concat(a.slice(0,k))}`, fn: (a: number[]) => { const r = k % a.length; return a.slice(r).concat(a.slice(0, r)); }, input: arr6 })),
  p('running_max', 6, [], () => ({ key: 'running_max', desc: 'running maximum', code: 'function f(a){let m=-Infinity;return a.map(v=>m=Math.max(m,v))}', fn: (a: number[]) => { let m = -Infinity; return a.map((v) => (m = Math.max(m, v))); }, input: arr6 })),
  p('caesar', 6, [[1, 5]], (k) => ({
    key: `caesar${k}`, desc: `shift each letter ${k} forward in the alphabet, z wraps to a`,
    code: `function f(s){let r='';for(const c of s)r+=String.fromCharCode((c.charCodeAt(0)-97+${k})%26+97);return r}`,
    fn: (s: string) => [...s].map((c) => String.fromCharCode(((c.charCodeAt(0) - 97 + k) % 26) + 97)).join(''), input: wordIn,
  })),
  p('rle', 6, [], () => ({
    key: 'rle', desc: 'run-length encode: each letter followed by how many times it repeats',
    code: "function f(s){let r='';for(let i=0;i<s.length;){let j=i;while(s[j]===s[i])j++;r+=s[i]+(j-i);i=j}return r}",
    fn: (s: string) => s.replace(/(.)\1*/g, (m, c: string) => c + m.length), input: runs,
  })),
  p('fizzbuzz', 6, [], () => ({
    key: 'fizzbuzz', desc: "'Fizz' for multiples of 3, 'Buzz' for 5, 'FizzBuzz' for both, else the number as a string",
    code: "function f(n){return n%15==0?'FizzBuzz':n%3==0?'Fizz':n%5==0?'Buzz':String(n)}",
    fn: (n: number) => (n % 15 === 0 ? 'FizzBuzz' : n % 3 === 0 ? 'Fizz' : n % 5 === 0 ? 'Buzz' : String(n)), input: (rng) => [rng.range(1, 45)],
  })),
  p('word_count', 6, [], () => ({ key: 'words', desc: 'number of words (separated by single spaces)', code: "function f(s){return s.split(' ').length}", fn: (s: string) => s.split(' ').length, input: sentence })),
];

export const FAMILIES: readonly Family[] = [...level1, ...level2, ...level3, ...level4, ...level5, ...level6];
/** Level 7 (one example that three level-1 families fit, the world's family hidden) is hidden.ts's. */
export const CODE_LEVELS: readonly number[] = [1, 2, 3, 4, 5, 6, 7];

export function familiesOf(level: number): Family[] {
  const fs = FAMILIES.filter((f) => f.level === level);
  if (!fs.length) throw new Error(`code: no level ${level}; levels are ${CODE_LEVELS.join(', ')}`);
  return fs;
}

export function drawProblem(level: number, rng: Rng): Problem {
  const fam = rng.pick(familiesOf(level));
  return fam.build(...fam.params.map(([lo, hi]) => rng.range(lo, hi)));
}

/** Every problem of a level (parameters enumerated); used to make examples unambiguous. */
export function allProblems(level: number): Problem[] {
  const out: Problem[] = [];
  for (const fam of familiesOf(level)) {
    const combos = fam.params.reduce<number[][]>(
      (acc, [lo, hi]) => acc.flatMap((c) => Array.from({ length: hi - lo + 1 }, (_, i) => [...c, lo + i])),
      [[]],
    );
    for (const c of combos) out.push(fam.build(...c));
  }
  return out;
}
