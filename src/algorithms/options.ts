/**
 * The config schema moved to src/util/schema.ts (every config uses it, not only algorithms).
 * This re-export keeps branches written against the old path compiling while they land;
 * import from '../util/schema.ts' in new code. To be removed once no import of it is left.
 */
export * from '../util/schema.ts';
