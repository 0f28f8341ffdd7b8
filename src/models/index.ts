/** Checkpoints, configs and tokenizers: the public surface of src/models. */
export * from './types.ts';
export * from './dtypes.ts';
export * from './safetensors.ts';
export * from './checkpoint.ts';
export * from './hf-config.ts';
export * from './expected-weights.ts';
export * from './tokenizer.ts';
export * from './hf-tokenizer.ts';
export * from './char-tokenizer.ts';
export * from './compare-tokenizers.ts';
export * from './chat-template.ts';
export * from './generation-config.ts';
export * from './folder.ts';
export * from './transformer-io.ts';
