/** The code sandbox: run untrusted JavaScript against tests in isolated worker processes. */
export { Sandbox, type SandboxOptions } from './pool.ts';
export { showValue } from './show.ts';
export type * from './types.ts';
