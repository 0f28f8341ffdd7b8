/**
 * A hand-written protobuf codec for the few flat messages of the Tinker protocol that travel
 * as application/x-protobuf (field numbers from the SDK's tinker_public descriptor; see
 * docs/remote.md): ForwardBackwardRequest (request), ForwardBackwardOutput and SampleResponse
 * (results). Numeric arrays travel as little-endian byte strings (int32 tokens, float32
 * values, int64 indices and offsets), so the codec is mostly varints and length prefixes.
 * Decoders accept packed and unpacked repeated scalars and skip unknown fields.
 */
import type { Datum, Dtype, ForwardBackwardOutput, ForwardBackwardRequest, SampleResponse, TensorData } from './wire.ts';

const DTYPE_CODE: Record<Dtype, number> = { float32: 1, int64: 2 };

class Writer {
  private parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array) {
    this.parts.push(b);
    this.len += b.length;
  }
  varint(v: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }
  tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }
  uint(field: number, v: number) {
    if (v) {
      this.tag(field, 0);
      this.varint(v);
    }
  }
  bool(field: number, v: boolean | undefined) {
    if (v) this.uint(field, 1);
  }
  bytes(field: number, b: Uint8Array, always = false) {
    if (!b.length && !always) return;
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  string(field: number, s: string | undefined) {
    if (s) this.bytes(field, new TextEncoder().encode(s));
  }
  double(field: number, v: number) {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.push(b);
  }
  message(field: number, m: Writer) {
    this.bytes(field, m.finish(), true);
  }
  packedInt64(field: number, xs: ArrayLike<number> | undefined) {
    if (!xs?.length) return;
    const w = new Writer();
    for (let i = 0; i < xs.length; i++) w.varint(xs[i]);
    this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

interface Field {
  field: number;
  wire: number;
  /** varint / fixed value */
  num: bigint;
  bytes: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let r = 0n, s = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('protobuf: truncated varint');
      const c = buf[i++];
      r |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (c < 0x80) return r;
    }
  };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const empty = new Uint8Array(0);
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3, wire = key & 7;
    if (wire === 0) yield { field, wire, num: varint(), bytes: empty };
    else if (wire === 2) {
      const n = Number(varint());
      if (i + n > buf.length) throw new Error(`protobuf: field ${field} runs past the end of the message`);
      yield { field, wire, num: 0n, bytes: buf.subarray(i, i + n) };
      i += n;
    } else if (wire === 1) {
      yield { field, wire, num: dv.getBigUint64(i, true), bytes: buf.subarray(i, i + 8) };
      i += 8;
    } else if (wire === 5) {
      yield { field, wire, num: BigInt(dv.getUint32(i, true)), bytes: buf.subarray(i, i + 4) };
      i += 4;
    } else throw new Error(`protobuf: unsupported wire type ${wire} (field ${field})`);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const f64 = (f: Field) => new DataView(f.bytes.buffer, f.bytes.byteOffset, 8).getFloat64(0, true);
const int = (f: Field) => Number(BigInt.asIntN(64, f.num));

/** A repeated int64: one varint (unpacked) or a packed run of varints. */
function int64s(f: Field, out: number[]): void {
  if (f.wire === 0) {
    out.push(int(f));
    return;
  }
  let r = 0n, s = 0n;
  for (const c of f.bytes) {
    r |= BigInt(c & 0x7f) << s;
    s += 7n;
    if (c < 0x80) {
      out.push(Number(BigInt.asIntN(64, r)));
      r = 0n;
      s = 0n;
    }
  }
  if (s) throw new Error('protobuf: truncated packed varint');
}

// ---- typed little-endian arrays <-> bytes ----
function leBytes(values: ArrayLike<number>, kind: 'i32' | 'f32' | 'i64'): Uint8Array {
  const size = kind === 'i64' ? 8 : 4;
  const b = new Uint8Array(values.length * size);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) {
    if (kind === 'i32') dv.setInt32(i * 4, values[i], true);
    else if (kind === 'f32') dv.setFloat32(i * 4, values[i], true);
    else dv.setBigInt64(i * 8, BigInt(values[i]), true);
  }
  return b;
}

function fromLe(b: Uint8Array, kind: 'i32' | 'f32' | 'i64'): number[] {
  const size = kind === 'i64' ? 8 : 4;
  if (b.length % size) throw new Error(`protobuf: a ${kind} array of ${b.length} bytes is not a whole number of values`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Array<number>(b.length / size);
  for (let i = 0; i < out.length; i++) {
    out[i] = kind === 'i32' ? dv.getInt32(i * 4, true) : kind === 'f32' ? dv.getFloat32(i * 4, true) : Number(dv.getBigInt64(i * 8, true));
  }
  return out;
}

const valueKind = (dtype: number): 'f32' | 'i64' | 'i32' => {
  if (dtype === 1) return 'f32';
  if (dtype === 2) return 'i64';
  if (dtype === 3) return 'i32';
  throw new Error(`protobuf: tensor dtype ${dtype} is not supported (float32, int64 and int32 are)`);
};
const dtypeName = (code: number): Dtype => (code === 1 ? 'float32' : 'int64');

// ---- ForwardBackwardRequest ----
function tensorMsg(t: TensorData): Writer {
  const w = new Writer();
  const kind = t.dtype === 'float32' ? 'f32' : 'i64';
  if (t.sparse_crow_indices) {
    const csr = new Writer();
    csr.bytes(1, leBytes(t.data, kind));
    csr.bytes(2, leBytes(t.sparse_crow_indices, 'i64'));
    csr.bytes(3, leBytes(t.sparse_col_indices ?? [], 'i64'));
    w.message(2, csr);
  } else w.bytes(1, leBytes(t.data, kind), true);
  w.uint(3, DTYPE_CODE[t.dtype]);
  w.packedInt64(4, t.shape);
  return w;
}

export function encodeForwardBackwardRequest(req: ForwardBackwardRequest): Uint8Array {
  const w = new Writer();
  w.string(1, req.model_id);
  w.uint(2, req.seq_id);
  for (const d of req.forward_backward_input.data) {
    const dm = new Writer();
    for (const c of d.model_input.chunks) {
      const chunk = new Writer();
      const et = new Writer();
      et.bytes(1, leBytes(c.tokens, 'i32'));
      chunk.message(1, et);
      dm.message(1, chunk);
    }
    for (const [name, t] of Object.entries(d.loss_fn_inputs)) {
      const entry = new Writer();
      entry.string(1, name);
      entry.message(2, tensorMsg(t));
      dm.message(2, entry);
    }
    w.message(3, dm);
  }
  w.string(4, req.forward_backward_input.loss_fn);
  for (const [k, v] of Object.entries(req.forward_backward_input.loss_fn_config ?? {})) {
    const entry = new Writer();
    entry.string(1, k);
    entry.double(2, v);
    w.message(5, entry);
  }
  w.bool(6, req.forward_only);
  return w.finish();
}

function decodeTensor(b: Uint8Array): TensorData {
  let dense: Uint8Array | null = null;
  let csr: { values: Uint8Array; crow: Uint8Array; col: Uint8Array } | null = null;
  let dtype = 0;
  const shape: number[] = [];
  for (const f of fields(b)) {
    if (f.field === 1) dense = f.bytes;
    else if (f.field === 2) {
      csr = { values: new Uint8Array(0), crow: new Uint8Array(0), col: new Uint8Array(0) };
      for (const g of fields(f.bytes)) {
        if (g.field === 1) csr.values = g.bytes;
        else if (g.field === 2) csr.crow = g.bytes;
        else if (g.field === 3) csr.col = g.bytes;
      }
    } else if (f.field === 3) dtype = int(f);
    else if (f.field === 4) int64s(f, shape);
  }
  const kind = valueKind(dtype);
  if (csr) {
    return { data: fromLe(csr.values, kind), dtype: dtypeName(dtype), shape, sparse_crow_indices: fromLe(csr.crow, 'i64'), sparse_col_indices: fromLe(csr.col, 'i64') };
  }
  const data = fromLe(dense ?? new Uint8Array(0), kind);
  return { data, dtype: dtypeName(dtype), shape: shape.length ? shape : [data.length] };
}

export function decodeForwardBackwardRequest(buf: Uint8Array): ForwardBackwardRequest {
  const req: ForwardBackwardRequest = { model_id: '', seq_id: 0, forward_backward_input: { data: [], loss_fn: '' } };
  const config: Record<string, number> = {};
  for (const f of fields(buf)) {
    if (f.field === 1) req.model_id = text(f.bytes);
    else if (f.field === 2) req.seq_id = int(f);
    else if (f.field === 3) {
      const d: Datum = { model_input: { chunks: [] }, loss_fn_inputs: {} };
      for (const g of fields(f.bytes)) {
        if (g.field === 1) {
          for (const c of fields(g.bytes)) {
            if (c.field !== 1) throw new Error('protobuf: only encoded_text model-input chunks are supported (not images or audio)');
            let tokens: number[] = [];
            for (const t of fields(c.bytes)) if (t.field === 1) tokens = fromLe(t.bytes, 'i32');
            d.model_input.chunks.push({ type: 'encoded_text', tokens });
          }
        } else if (g.field === 2) {
          let key = '', value: TensorData | null = null;
          for (const e of fields(g.bytes)) {
            if (e.field === 1) key = text(e.bytes);
            else if (e.field === 2) value = decodeTensor(e.bytes);
          }
          if (value) d.loss_fn_inputs[key] = value;
        }
      }
      req.forward_backward_input.data.push(d);
    } else if (f.field === 4) req.forward_backward_input.loss_fn = text(f.bytes);
    else if (f.field === 5) {
      let key = '', value = 0;
      for (const e of fields(f.bytes)) {
        if (e.field === 1) key = text(e.bytes);
        else if (e.field === 2) value = f64(e);
      }
      config[key] = value;
    } else if (f.field === 6) req.forward_only = f.num !== 0n;
  }
  if (Object.keys(config).length) req.forward_backward_input.loss_fn_config = config;
  return req;
}

// ---- ForwardBackwardOutput: one ArrayRecord, each field a BatchedTensor over all datums ----
export function encodeForwardBackwardOutput(out: ForwardBackwardOutput): Uint8Array {
  const w = new Writer();
  w.string(1, out.loss_fn_output_type);
  const names = out.loss_fn_outputs.length ? Object.keys(out.loss_fn_outputs[0]) : [];
  if (out.loss_fn_outputs.length) {
    const rec = new Writer();
    for (const name of names) {
      const ts = out.loss_fn_outputs.map((d) => d[name]);
      const kind = ts[0].dtype === 'float32' ? 'f32' : 'i64';
      const chunks = ts.map((t) => leBytes(t.data, kind));
      const offsets = [0];
      for (const c of chunks) offsets.push(offsets[offsets.length - 1] + c.length);
      const data = new Uint8Array(offsets[offsets.length - 1]);
      chunks.forEach((c, i) => data.set(c, offsets[i]));
      const bt = new Writer();
      bt.bytes(1, data);
      bt.bytes(2, leBytes(offsets, 'i64'));
      bt.uint(3, DTYPE_CODE[ts[0].dtype]);
      bt.packedInt64(4, (ts[0].shape ?? [ts[0].data.length]).slice(1));
      const entry = new Writer();
      entry.string(1, name);
      entry.message(2, bt);
      rec.message(2, entry);
    }
    rec.uint(3, out.loss_fn_outputs.length);
    w.message(2, rec);
  }
  for (const [k, v] of Object.entries(out.metrics)) {
    const entry = new Writer();
    entry.string(1, k);
    entry.double(2, v);
    w.message(3, entry);
  }
  return w.finish();
}

export function decodeForwardBackwardOutput(buf: Uint8Array): ForwardBackwardOutput {
  const out: ForwardBackwardOutput = { loss_fn_output_type: '', loss_fn_outputs: [], metrics: {} };
  for (const f of fields(buf)) {
    if (f.field === 1) out.loss_fn_output_type = text(f.bytes);
    else if (f.field === 3) {
      let key = '', value = 0;
      for (const e of fields(f.bytes)) {
        if (e.field === 1) key = text(e.bytes);
        else if (e.field === 2) value = f64(e);
      }
      out.metrics[key] = value;
    } else if (f.field === 2) {
      const perDatum: Record<string, TensorData>[] = [];
      let numDatums = 0;
      for (const g of fields(f.bytes)) {
        if (g.field === 3) numDatums = int(g);
        if (g.field !== 2) continue;
        let name = '', dtype = 0;
        let data: Uint8Array = new Uint8Array(0), offsets: Uint8Array = new Uint8Array(0);
        const trailing: number[] = [];
        for (const e of fields(g.bytes)) {
          if (e.field === 1) name = text(e.bytes);
          else if (e.field === 2) {
            for (const b of fields(e.bytes)) {
              if (b.field === 1) data = b.bytes;
              else if (b.field === 2) offsets = b.bytes;
              else if (b.field === 3) dtype = int(b);
              else if (b.field === 4) int64s(b, trailing);
            }
          }
        }
        const kind = valueKind(dtype);
        const offs = fromLe(offsets, 'i64');
        const inner = trailing.reduce((a, b) => a * b, 1);
        for (let i = 0; i + 1 < offs.length; i++) {
          const values = fromLe(data.subarray(offs[i], offs[i + 1]), kind);
          (perDatum[i] ??= {})[name] = { data: values, dtype: dtypeName(dtype), shape: [inner ? values.length / inner : 0, ...trailing] };
        }
      }
      if (numDatums && perDatum.length !== numDatums) throw new Error(`protobuf: ArrayRecord says ${numDatums} datums, its tensors hold ${perDatum.length}`);
      out.loss_fn_outputs.push(...perDatum);
    }
  }
  return out;
}

// ---- SampleResponse ----
export function encodeSampleResponse(r: SampleResponse): Uint8Array {
  const w = new Writer();
  for (const s of r.sequences) {
    const m = new Writer();
    m.uint(1, s.stop_reason === 'length' ? 1 : 0);
    m.bytes(2, leBytes(s.tokens, 'i32'));
    if (s.logprobs) m.bytes(3, leBytes(s.logprobs, 'f32'), true);
    w.message(1, m);
  }
  if (r.prompt_logprobs) w.bytes(2, leBytes(r.prompt_logprobs.map((x) => (x === null ? NaN : x)), 'f32'), true);
  if (r.topk_prompt_logprobs) {
    const rows = r.topk_prompt_logprobs;
    const k = Math.max(0, ...rows.map((x) => x?.length ?? 0));
    const ids: number[] = [], lps: number[] = [];
    for (const row of rows) {
      for (let j = 0; j < k; j++) {
        const pair = row?.[j];
        ids.push(pair ? pair[0] : 0);
        lps.push(pair ? pair[1] : -99999);
      }
    }
    const t = new Writer();
    t.bytes(1, leBytes(ids, 'i32'));
    t.bytes(2, leBytes(lps, 'f32'));
    t.uint(3, k);
    t.uint(4, rows.length);
    w.message(3, t);
  }
  w.uint(4, r.prompt_cache_hit_tokens ?? 0);
  return w.finish();
}

/** Decodes into the JSON shape: NaN prompt log-probs become null, (0, -99999) top-k padding is dropped. */
export function decodeSampleResponse(buf: Uint8Array): SampleResponse {
  const r: SampleResponse = { sequences: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) {
      const s: SampleResponse['sequences'][number] = { stop_reason: 'stop', tokens: [] };
      for (const g of fields(f.bytes)) {
        if (g.field === 1) {
          const code = int(g);
          if (code !== 0 && code !== 1) throw new Error(`protobuf: unknown stop_reason ${code}`);
          s.stop_reason = code === 1 ? 'length' : 'stop';
        } else if (g.field === 2) s.tokens = fromLe(g.bytes, 'i32');
        else if (g.field === 3) s.logprobs = fromLe(g.bytes, 'f32');
      }
      r.sequences.push(s);
    } else if (f.field === 2) r.prompt_logprobs = fromLe(f.bytes, 'f32').map((x) => (Number.isNaN(x) ? null : x));
    else if (f.field === 3) {
      let ids: number[] = [], lps: number[] = [], k = 0, n = 0;
      for (const g of fields(f.bytes)) {
        if (g.field === 1) ids = fromLe(g.bytes, 'i32');
        else if (g.field === 2) lps = fromLe(g.bytes, 'f32');
        else if (g.field === 3) k = int(g);
        else if (g.field === 4) n = int(g);
      }
      if (ids.length !== n * k || lps.length !== n * k) throw new Error(`protobuf: top-k prompt log-probs hold ${ids.length} ids for ${n} positions x k = ${k}`);
      const rows: ([number, number][] | null)[] = [];
      for (let p = 0; p < n; p++) {
        const row: [number, number][] = [];
        for (let j = 0; j < k; j++) if (!(ids[p * k + j] === 0 && lps[p * k + j] === -99999)) row.push([ids[p * k + j], lps[p * k + j]]);
        rows.push(p === 0 && !row.length ? null : row);
      }
      r.topk_prompt_logprobs = rows;
    } else if (f.field === 4) r.prompt_cache_hit_tokens = int(f);
  }
  return r;
}
