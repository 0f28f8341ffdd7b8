// Drives llama.cpp through its C API the way its C users do, for bench/sections/llama_cpp.ts.
// Built by the benchmark against the prebuilt library of the pinned npm package (never by
// npm ci or npm test). One persistent ggml thread pool for the context; every sequence of a
// batch goes into one llama_decode call per step (the prompt too, all sequences at once).
//
//   driver check    MODEL THREADS B T id...        -> logits after prefilling T-1 tokens and
//                                                    decoding the last one (B rows, one line)
//   driver sample   MODEL THREADS B PROMPT NEW REPS -> median seconds of one generation, wall clock
//                                                    then the process's CPU time (all threads)
//   driver quantize IN OUT FTYPE                    -> writes OUT (7 = Q8_0, 32 = BF16)
// Everything else llama.cpp prints goes to stderr; the result is the last stdout line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <ctime>
#include <vector>

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

namespace {

void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "driver: %s\n", what);
  exit(1);
}

struct Engine {
  llama_model* model = nullptr;
  llama_context* ctx = nullptr;
  ggml_threadpool* pool = nullptr;
  void (*pool_free)(ggml_threadpool*) = nullptr;
  int n_vocab = 0;

  Engine(const char* path, int threads, int seqs, int tokens_per_seq) {
    llama_model_params mp = llama_model_default_params();
    model = llama_model_load_from_file(path, mp);
    if (!model) die("cannot load the model");
    n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));

    llama_context_params cp = llama_context_default_params();
    cp.n_seq_max = seqs;
    cp.n_ctx = seqs * tokens_per_seq;
    cp.n_batch = cp.n_ctx;  // the whole prompt batch in one call
    cp.n_ubatch = cp.n_ctx;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.kv_unified = false;  // independent sequences: one cache stream each (llama.h's advice)
    cp.no_perf = true;
    ctx = llama_init_from_model(model, cp);
    if (!ctx) die("cannot create the context");

    // A persistent thread pool, as llama.cpp's own tools attach: without one, ggml starts and
    // joins its worker threads inside every graph computation.
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (!cpu) die("no CPU backend");
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(cpu);
    auto pool_new = reinterpret_cast<ggml_threadpool* (*)(ggml_threadpool_params*)>(
        ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new"));
    pool_free = reinterpret_cast<void (*)(ggml_threadpool*)>(
        ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_free"));
    if (!pool_new || !pool_free) die("the CPU backend has no thread pool functions");
    ggml_threadpool_params tp = ggml_threadpool_params_default(threads);
    pool = pool_new(&tp);
    if (!pool) die("cannot start the thread pool");
    llama_attach_threadpool(ctx, pool, pool);
  }

  ~Engine() {
    llama_detach_threadpool(ctx);
    pool_free(pool);
    llama_free(ctx);
    llama_model_free(model);
  }

  void decode(llama_batch& b) {
    if (llama_decode(ctx, b) != 0) die("llama_decode failed");
  }
};

void add(llama_batch& b, llama_token tok, llama_pos pos, llama_seq_id seq, bool logits) {
  int i = b.n_tokens++;
  b.token[i] = tok;
  b.pos[i] = pos;
  b.n_seq_id[i] = 1;
  b.seq_id[i][0] = seq;
  b.logits[i] = logits;
}

int check(int argc, char** argv) {
  if (argc < 6) die("check MODEL THREADS B T id...");
  int threads = atoi(argv[3]), B = atoi(argv[4]), T = atoi(argv[5]);
  if (argc != 6 + B * T) die("check needs B*T token ids");
  Engine e(argv[2], threads, B, 256);
  llama_batch b = llama_batch_init(B * T, 0, 1);
  for (int s = 0; s < B; s++)
    for (int t = 0; t < T - 1; t++) add(b, atoi(argv[6 + s * T + t]), t, s, false);
  e.decode(b);
  b.n_tokens = 0;
  for (int s = 0; s < B; s++) add(b, atoi(argv[6 + s * T + T - 1]), T - 1, s, true);
  e.decode(b);
  std::string out;
  for (int s = 0; s < B; s++) {
    const float* l = llama_get_logits_ith(e.ctx, s);
    for (int v = 0; v < e.n_vocab; v++) {
      char buf[32];
      snprintf(buf, sizeof buf, "%.7g ", l[v]);
      out += buf;
    }
  }
  printf("%s\n", out.c_str());
  llama_batch_free(b);
  return 0;
}

int sample(int argc, char** argv) {
  if (argc != 8) die("sample MODEL THREADS B PROMPT NEW REPS");
  int threads = atoi(argv[3]), B = atoi(argv[4]), P = atoi(argv[5]), N = atoi(argv[6]), reps = atoi(argv[7]);
  int per_seq = ((P + N + 255) / 256) * 256;
  Engine e(argv[2], threads, B, per_seq);
  llama_sampler* smpl = llama_sampler_init_dist(1234);  // temperature 1 over the full vocabulary
  llama_batch b = llama_batch_init(B * P, 0, 1);
  std::mt19937 rng(7);
  std::vector<int> last(B);
  std::vector<llama_token> tok(B);
  auto run = [&](int new_tokens) {
    llama_memory_clear(llama_get_memory(e.ctx), true);
    b.n_tokens = 0;
    for (int s = 0; s < B; s++) {
      for (int t = 0; t < P; t++) add(b, rng() % e.n_vocab, t, s, t == P - 1);
      last[s] = b.n_tokens - 1;
    }
    e.decode(b);
    for (int t = 0; t < new_tokens; t++) {
      for (int s = 0; s < B; s++) tok[s] = llama_sampler_sample(smpl, e.ctx, last[s]);
      if (t == new_tokens - 1) break;
      b.n_tokens = 0;
      for (int s = 0; s < B; s++) {
        add(b, tok[s], P + t, s, true);
        last[s] = s;
      }
      e.decode(b);
    }
  };
  run(4);  // warm-up
  auto cpu = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
  };
  std::vector<double> secs, cpus;
  for (int r = 0; r < reps; r++) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu();
    run(N);
    cpus.push_back(cpu() - c0);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  std::sort(cpus.begin(), cpus.end());
  printf("%.6f %.6f\n", secs[secs.size() / 2], cpus[cpus.size() / 2]);
  llama_sampler_free(smpl);
  llama_batch_free(b);
  return 0;
}

int quantize(int argc, char** argv) {
  if (argc != 5) die("quantize IN OUT FTYPE");
  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.ftype = static_cast<llama_ftype>(atoi(argv[4]));
  qp.nthread = 2;
  if (llama_model_quantize(argv[2], argv[3], &qp) != 0) die("quantize failed");
  printf("ok\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: driver check|sample|quantize ...");
  const char* dir = getenv("DISTIL_LLAMA_LIB_DIR");
  if (!dir) die("DISTIL_LLAMA_LIB_DIR must name the folder of the prebuilt libraries");
  llama_log_set(quiet_log, nullptr);
  ggml_backend_load_all_from_path(dir);  // picks the CPU variant this processor supports
  llama_backend_init();
  int rc = 1;
  if (!strcmp(argv[1], "check")) rc = check(argc, argv);
  else if (!strcmp(argv[1], "sample")) rc = sample(argc, argv);
  else if (!strcmp(argv[1], "quantize")) rc = quantize(argc, argv);
  else die("unknown mode");
  llama_backend_free();
  return rc;
}
