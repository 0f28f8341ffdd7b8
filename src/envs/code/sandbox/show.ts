/**
 * The renderer of harness.cjs over this realm's intrinsics: plain data renders here exactly
 * as a candidate's value renders inside the sandbox, so prompts, expected values and
 * feedback all use one notation.
 */
import { createRequire } from 'node:module';

type Show = (value: unknown, limit: number, loose: boolean) => string;
const { makeShow } = createRequire(import.meta.url)('./harness.cjs') as {
  makeShow: (intrinsics: Record<string, unknown>) => Show;
};
/** The same renderer the harness uses inside contexts, over this realm's intrinsics. */
export const hostShow: Show = makeShow({
  apply: Reflect.apply,
  stringify: JSON.stringify,
  isArray: Array.isArray,
  keys: Object.keys,
  strSlice: String.prototype.slice,
  create: Object.create,
  mapSize: Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get,
  mapForEach: Map.prototype.forEach,
  setSize: Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get,
  setForEach: Set.prototype.forEach,
  dateGetTime: Date.prototype.getTime,
  getProto: Object.getPrototypeOf,
  objectProto: Object.prototype,
});

/** Renders plain data exactly as the sandbox renders a candidate's value (for prompts, feedback). */
export function showValue(value: unknown, limit = 100_000): string {
  return hostShow(value, limit, false);
}

