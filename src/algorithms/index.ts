export type { Algorithm, AlgorithmNeeds, BuiltLoss, Rollout, StepData, TeacherKind, TeacherScores } from './types.ts';
export { algorithmNames, createAlgorithm, getAlgorithm, registerAlgorithm, type AlgorithmEntry } from './registry.ts';
export { resolveOptions, describeSchema, ConfigError, type Schema, type OptionSpec } from '../util/schema.ts';
