/**
 * An error a Tinker route answers with: the HTTP status and `{error, category}` (category
 * 'user' for 4xx, 'server' otherwise), the body shape Tinker clients read.
 */
export class TinkerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  body() {
    return { error: this.message, category: this.status < 500 ? 'user' : 'server' };
  }
}
