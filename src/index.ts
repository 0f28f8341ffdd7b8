/**
 * distil's public API. The layers, bottom to top (docs/architecture.md): util, engine, nn,
 * models, inference, losses; backends, envs, eval; feedback, teachers; algorithms; train;
 * recipes, report, server; cli.
 */
export * from './engine/index.ts';
export type { ModelConfig, Architecture } from './nn/config.ts';
export { REFERENCE_MODEL } from './nn/config.ts';
export { SMOLLM_135M_SHAPE } from './nn/presets.ts';
export { Transformer, parameterShapes } from './nn/transformer.ts';
export { AdamW } from './nn/optim.ts';
export { makeSchedule } from './nn/schedule.ts';
export { clipGradNorm, paramGroups, countParams } from './nn/params.ts';
export * from './models/index.ts';
export { Decoder } from './inference/decoder.ts';
export { sample } from './inference/sampler.ts';
export { score } from './inference/scorer.ts';
export type * from './backends/types.ts';
export { LocalBackend, type LocalBackendOptions } from './backends/local.ts';
export { OpenAICompatibleBackend } from './backends/openai.ts';
export type * from './envs/types.ts';
export { getEnv, registerEnv, envNames } from './envs/registry.ts';
export * from './feedback/index.ts';
export * from './teachers/index.ts';
export type { Judge, JudgeRequest, Verdict } from './judges/types.ts';
export { stepJudge, answerJudge } from './judges/reference.ts';
export { modelJudge, parseJudgeScore } from './judges/model.ts';
export * as losses from './losses/index.ts';
export * from './algorithms/index.ts';
export { train, type TrainHooks, type TrainResult } from './train/loop.ts';
export { resolveTrainConfig, applyOverrides, TRAIN_SCHEMA, type TrainConfig } from './train/config.ts';
export { planComparison, runComparison, type CompareConfig } from './train/compare.ts';
export { finalTable } from './report/final-table.ts';
export { evaluatePolicy } from './train/evaluate.ts';
export { passAtK, summariseEval } from './eval/metrics.ts';
export { writeReport } from './report/index.ts';
export { Rng } from './util/rng.ts';
