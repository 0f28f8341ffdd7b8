/**
 * Errors in the shape OpenAI-compatible servers (OpenAI, vLLM) return, so that clients written
 * for them (the official SDKs, RL tooling) show our messages unchanged:
 *   {"error": {"message", "type", "param", "code"}} with a 4xx/5xx status.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: string = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 naming the offending request field. */
export const badParam = (param: string, message: string, code: string | null = null): ApiError => new ApiError(400, message, param, code);
