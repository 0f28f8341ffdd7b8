/**
 * What a sampler is asked and what it returns, and the same for teacher-forced scoring: plain
 * arrays, so that a local model, a remote server and a test stub all speak them.
 */

export interface SamplingParams {
  maxTokens: number;
  temperature?: number; // default 1; 0 = greedy
  topP?: number; // default 1
  topK?: number; // default 0 = off
  /** Stop when the decoded text ends with one of these (the stop string is kept out of `text`). */
  stop?: string[];
  /** Stop at these token ids (default: the tokenizer's end-of-sequence id). */
  stopTokenIds?: number[];
  seed?: number;
}

export interface SampleRequest extends SamplingParams {
  /** Prompt as token ids. */
  prompt: number[];
}

/** Anything that samples and returns the texts (a LocalBackend; a stub in tests). */
export interface TextSampler {
  sample(reqs: SampleRequest[]): Promise<{ text: string }[]>;
}

export type StopReason = 'stop' | 'length';

export interface Completion {
  tokens: number[];
  text: string;
  /** Sampler's log-prob of each generated token (under the sampling distribution's model, T=1). */
  logprobs: Float32Array;
  /** Per generated token, the log of the largest next-token probability (the sampler's confidence), when the backend knows it. */
  maxLogprobs?: Float32Array;
  /**
   * Per generated token, the self-certainty of the model's next-token distribution p (T=1):
   * KL(U || p) = logsumexp(z) - mean(z) - log V, 0 for a uniform p. When the backend knows it.
   */
  selfCertainty?: Float32Array;
  stopReason: StopReason;
}

export interface ScoreRequest {
  prompt: number[];
  completion: number[];
  /** Also return the top-k ids and probabilities at each completion position (0 = no). */
  topK?: number;
  /**
   * Also return the final-norm hidden state (the LM head's input) at each completion position.
   * Only a backend holding the model can; a remote one rejects the request with an error.
   */
  hidden?: boolean;
}

export interface ScoredTokens {
  /** log p(completion[t] | prompt, completion[<t]) for each t. */
  logprobs: Float32Array;
  /** [T, k] when requested. */
  topIds?: Int32Array;
  topProbs?: Float32Array;
  k?: number;
  /** [T, hiddenSize] when requested: row t is the hidden state that predicts completion[t]. */
  hidden?: Float32Array;
}
