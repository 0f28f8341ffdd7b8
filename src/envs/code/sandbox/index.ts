/** The code sandbox: run untrusted JavaScript against tests in isolated worker processes. */
export { Sandbox, showValue, type SandboxOptions } from './pool.ts';
export type * from './types.ts';
