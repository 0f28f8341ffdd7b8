/**
 * Tensor: a contiguous float32 buffer with a shape, and the reverse-mode tape.
 *
 * - Leaves are made with `Tensor.from`/`zeros`/`param`; they own their memory for ever.
 *   Parameters (`requiresGrad`) keep a persistent `.grad` buffer that backward() fills.
 * - Op outputs draw their buffers from the pool (pool.ts). Each op that sees an input which
 *   requires grad records a node: its parents and a backward closure, written next to its forward
 *   in src/engine/ops/*. backward() runs the closures in reverse topological order, then
 *   RELEASES every intermediate of the graph back to the pool (their `.data` then throws),
 *   so memory is flat across steps. Read what you need (e.g. logits) before calling backward().
 * - Gradients are written, not zeroed-then-added: the first contribution to a gradient
 *   overwrites (`beginGrad()` returns false), later ones accumulate. Parameters' gradients
 *   accumulate across backward() calls until `zeroGrad()` (gradient accumulation).
 */
import { acquire, release } from './pool.ts';

export type Shape = readonly number[];

let gradEnabled = true;
const scopes: Tensor[][] = [];

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn without recording a tape (inference, scoring, evaluation). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape ${shapeStr(shape)}: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  requiresGrad: boolean;
  /** Optional label (parameters carry their Hugging Face name). */
  name: string | undefined;

  private _data: Float32Array | null;
  private _grad: Float32Array | null = null;
  private _hasGrad = false;
  /** Data came from the pool and goes back to it on release (views and leaves do not). */
  private readonly _pooled: boolean;
  private _released = false;
  private _isView = false;
  /** For views: the tensor that owns the memory (tidy keeps it alive with the view). */
  _base: Tensor | null = null;

  // The tape node (null for leaves and for tensors made without grad).
  _parents: Tensor[] | null = null;
  _backward: ((grad: Float32Array) => void) | null = null;
  /** Pooled side buffers the backward needs (rstd, lse, ...), released with the node. */
  _saved: Float32Array[] | null = null;

  constructor(data: Float32Array, shape: Shape, opts: { requiresGrad?: boolean; name?: string; pooled?: boolean; gradStorage?: Float32Array } = {}) {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`Tensor: data has ${data.length} elements but shape ${shapeStr(shape)} needs ${n}`);
    this._data = data;
    this.shape = Object.freeze([...shape]);
    this.size = n;
    this.requiresGrad = opts.requiresGrad ?? false;
    this.name = opts.name;
    this._pooled = opts.pooled ?? false;
    if (opts.gradStorage) {
      if (opts.gradStorage.length !== n) throw new Error(`Tensor: gradStorage has ${opts.gradStorage.length} elements but shape ${shapeStr(shape)} needs ${n}`);
      this._grad = opts.gradStorage;
    }
  }

  // --- construction ----------------------------------------------------------------------
  /** A leaf that wraps (does not copy) `data`. */
  static from(data: Float32Array | number[], shape?: Shape, opts?: { requiresGrad?: boolean; name?: string }): Tensor {
    const d = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor(d, shape ?? [d.length], opts);
  }
  static zeros(shape: Shape, opts?: { requiresGrad?: boolean; name?: string }): Tensor {
    return new Tensor(new Float32Array(sizeOf(shape)), shape, opts);
  }
  /**
   * A trainable leaf. `gradStorage` (optional) is where its gradient will live, e.g. a slice
   * of one buffer holding all of a model's gradients.
   */
  static param(data: Float32Array, shape: Shape, name?: string, gradStorage?: Float32Array): Tensor {
    return new Tensor(data, shape, { requiresGrad: true, name, gradStorage });
  }
  /**
   * An uninitialised op output from the pool (ops only). Scalars are not pooled, so a loss
   * stays readable after backward(): `loss.backward(); log(loss.item())` works.
   */
  static empty(shape: Shape): Tensor {
    const n = sizeOf(shape);
    if (n === 1) return new Tensor(new Float32Array(1), shape);
    const t = new Tensor(acquire(n), shape, { pooled: true });
    if (scopes.length) scopes[scopes.length - 1].push(t);
    return t;
  }
  /** A tensor sharing `base`'s buffer with another shape (ops only). */
  static view(base: Tensor, shape: Shape): Tensor {
    const t = new Tensor(base.data, shape);
    t._isView = true;
    t._base = base._base ?? base;
    return t;
  }

  /** The same data without a tape (no gradient flows back through it). Valid while this tensor's data is. */
  detach(): Tensor {
    const t = new Tensor(this.data, this.shape);
    t._isView = true;
    t._base = this._base ?? this;
    return t;
  }

  // --- data and gradient -----------------------------------------------------------------
  get data(): Float32Array {
    if (!this._data) throw new Error(`tensor ${this.describe()} was released (by backward() or tidy()); read its data before that`);
    return this._data;
  }
  get released(): boolean {
    return this._released;
  }
  /** The gradient, or null when none has been computed since creation / zeroGrad(). */
  get grad(): Float32Array | null {
    return this._hasGrad ? this._grad : null;
  }
  get isLeaf(): boolean {
    return this._backward === null;
  }
  describe(): string {
    return `${this.name ?? 'tensor'} ${shapeStr(this.shape)}`;
  }
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor ${this.describe()} has ${this.size} elements, not 1`);
    return this.data[0];
  }
  toArray(): number[] {
    return Array.from(this.data);
  }

  /**
   * For backward closures: make sure the gradient buffer exists and say whether to add into
   * it (true) or overwrite it (false, first contribution). Marks the gradient as present.
   */
  beginGrad(): boolean {
    const acc = this._hasGrad;
    if (!this._grad) this._grad = this._pooled || this._backward ? acquire(this.size) : new Float32Array(this.size);
    this._hasGrad = true;
    return acc;
  }
  /** The gradient buffer after beginGrad(). */
  get gradBuf(): Float32Array {
    return this._grad!;
  }
  /** For kernels that only accumulate: the gradient buffer, zeroed if this is the first contribution. */
  zeroedGrad(): Float32Array {
    if (!this.beginGrad()) this._grad!.fill(0);
    return this._grad!;
  }
  /**
   * For backward closures: make `buf` (a pooled buffer nobody else will touch) this tensor's
   * gradient, when this is an intermediate that has none yet. Saves a copy; false: use the buffer
   * the normal way (and keep ownership of it).
   */
  adoptGrad(buf: Float32Array): boolean {
    if (this._hasGrad || !(this._pooled || this._backward) || buf.length !== this.size) return false;
    if (this._grad) release(this._grad);
    this._grad = buf;
    this._hasGrad = true;
    return true;
  }
  /** adoptGrad of `from`'s gradient (its last use: `from`'s own backward is running). */
  takeGradOf(from: Tensor): boolean {
    if (!from._grad || !this.adoptGrad(from._grad)) return false;
    from._grad = null;
    from._hasGrad = false;
    return true;
  }
  /** Forget the gradient (the buffer is kept and overwritten by the next backward). */
  zeroGrad(): void {
    this._hasGrad = false;
  }

  // --- the tape ----------------------------------------------------------------------------
  /**
   * Back-propagate from this tensor. With no argument it must be a scalar (seed 1); otherwise
   * `grad` is d(objective)/d(this), same number of elements (e.g. `logits.backward(dLogits)`).
   * Afterwards the graph's intermediates are released unless `retainGraph`.
   */
  backward(grad?: Float32Array | Tensor | number, opts: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) throw new Error(`backward(): ${this.describe()} does not require grad (no parameter reaches it, or it was made under noGrad)`);
    const g = grad instanceof Tensor ? grad.data : grad;
    if (g === undefined && this.size !== 1)
      throw new Error(`backward(): ${this.describe()} is not a scalar; pass its upstream gradient, e.g. t.backward(dT)`);
    if (g !== undefined && typeof g !== 'number' && g.length !== this.size)
      throw new Error(`backward(): upstream gradient has ${g.length} elements but ${this.describe()} has ${this.size}`);
    const order = this.topo();
    const acc = this.beginGrad();
    const buf = this.gradBuf;
    if (g === undefined || typeof g === 'number') {
      const v = g ?? 1;
      for (let i = 0; i < buf.length; i++) buf[i] = acc ? buf[i] + v : v;
    } else {
      for (let i = 0; i < buf.length; i++) buf[i] = acc ? buf[i] + g[i] : g[i];
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      if (t._backward && t._hasGrad) t._backward(t._grad!);
    }
    for (const t of order) {
      if (!t._backward) continue;
      if (!opts.retainGraph) t.dispose();
      else if (t._grad) {
        // Keep the graph but not its intermediate gradients: the next backward starts afresh.
        release(t._grad);
        t._grad = null;
        t._hasGrad = false;
      }
    }
  }

  /** Nodes reachable from this one, parents before children. */
  private topo(): Tensor[] {
    const order: Tensor[] = [];
    const seen = new Set<Tensor>();
    const stack: [Tensor, number][] = [[this, 0]];
    seen.add(this);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const ps = top[0]._parents;
      if (ps && top[1] < ps.length) {
        const p = ps[top[1]++];
        if (!seen.has(p) && p.requiresGrad) {
          seen.add(p);
          stack.push([p, 0]);
        }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
    return order;
  }

  /** Return this tensor's pooled memory (data if owned, gradient, saved buffers) and detach it from the tape. */
  dispose(): void {
    if (this._released) return;
    if (this._pooled && this._data) release(this._data);
    const ownsGrad = this._pooled || this._backward;
    if (this._grad && ownsGrad) release(this._grad);
    if (this._saved) for (const s of this._saved) release(s);
    if (ownsGrad) {
      this._grad = null;
      this._hasGrad = false;
    }
    this._saved = null;
    this._parents = null;
    this._backward = null;
    // Pooled data goes back to the pool and a view's base may have: both become unreadable.
    // Other outputs (scalars) keep their data.
    if (this._pooled || this._isView) {
      this._data = null;
      this._released = true;
    }
  }
}

/**
 * Attach a tape node to `out` when grad is enabled and some parent requires grad; otherwise
 * release the side buffers at once. Ops call this last: `return record(out, [a, b], g => ...)`.
 */
export function record(out: Tensor, parents: Tensor[], backward: (grad: Float32Array) => void, saved?: Float32Array[]): Tensor {
  let need = false;
  if (gradEnabled) for (const p of parents) if (p.requiresGrad) need = true;
  if (!need) {
    if (saved) for (const s of saved) release(s);
    return out;
  }
  out.requiresGrad = true;
  out._parents = parents;
  out._backward = backward;
  out._saved = saved ?? null;
  return out;
}

/**
 * Run fn and release every op output made inside it except what it returns (a tensor, or an
 * array / object of tensors). For inference under noGrad: memory stays flat across calls.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let made: Tensor[] = [];
  let result: T;
  try {
    result = fn();
  } finally {
    made = scopes.pop()!;
  }
  const keep = new Set<Tensor>();
  const r = result as unknown;
  if (r instanceof Tensor) keep.add(r);
  else if (Array.isArray(r)) for (const x of r) x instanceof Tensor && keep.add(x);
  else if (r && typeof r === 'object') for (const x of Object.values(r)) x instanceof Tensor && keep.add(x);
  for (const t of [...keep]) if (t._base) keep.add(t._base);
  for (const t of made) if (!keep.has(t)) t.dispose();
  // What survives belongs to the enclosing scope, if any.
  if (scopes.length) for (const t of keep) if (made.includes(t)) scopes[scopes.length - 1].push(t);
  return result;
}
