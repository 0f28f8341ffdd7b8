/**
 * `distil serve --model DIR`: a local model folder behind the OpenAI-compatible API subset of
 * docs/serve.md, until interrupted.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { servedModelFromFolder } from '../../server/engine.ts';
import { serve } from '../../server/server.ts';
import { resolveStop } from '../stop-flag.ts';

const HELP = `Usage: distil serve --model DIR [--port N] [--host ADDR] [--name NAME] [--seed N] [--stop S] [--quiet]

Serves the model folder DIR (config.json, safetensors, tokenizer) through the OpenAI API
subset that RL tooling uses (see docs/serve.md):
  GET  /v1/models
  POST /v1/completions        prompt (text, token ids, or a list), echo, logprobs, prompt_logprobs
  POST /v1/chat/completions   messages, rendered with the model's chat template
  POST /tokenize, /detokenize (vLLM shapes), GET /v1/tokenizer (the vocabulary), GET /health
and the Tinker training protocol under /api/v1 (see docs/remote.md): LoRA models of the served
model (its name is the base model), forward_backward, optim_step, save/load, sampling sessions.

Options:
  --model DIR    model folder (required)
  --port N       port to listen on (default 8000; 0 picks a free one)
  --host ADDR    address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)
  --name NAME    model name clients pass as "model" (default: the folder's name)
  --seed N       seeds the draws of requests that carry no seed (default 0)
  --stop S       stop strings for requests without "stop": a JSON list ('["\\nQ: "]'), one
                 string (\\n read as a newline), or none (default: the model's,
                 generation_config.json stop_strings)
  --quiet        no line per request
  --lora-alpha N LoRA scale numerator of Tinker-trained adapters (default 16, as distil train)
  --no-tinker    serve the OpenAI routes only
  The Tinker routes require the key in DISTIL_SERVE_API_KEY as X-API-Key when that variable is set.

Requests are served one batch at a time; concurrent requests are batched together.`;

const serveCmd: Command = {
  name: 'serve',
  summary: 'Serve a model folder through an OpenAI-compatible HTTP API',
  help: HELP,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          model: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
          name: { type: 'string' }, seed: { type: 'string' }, stop: { type: 'string' }, quiet: { type: 'boolean' },
          'lora-alpha': { type: 'string' }, 'no-tinker': { type: 'boolean' },
        },
        strict: true,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (!values.model) throw new UsageError('--model DIR is required');
    const port = values.port === undefined ? 8000 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number in 0..65535, got '${values.port}'`);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be a whole number, got '${values.seed}'`);

    let model;
    try {
      model = servedModelFromFolder(values.model, values.name);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { stop, source } = resolveStop(values.stop, model.stopStrings, values.model);
    model.stopStrings = stop;
    const log = values.quiet ? undefined : (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
    const loraAlpha = values['lora-alpha'] === undefined ? 16 : Number(values['lora-alpha']);
    if (!(loraAlpha > 0)) throw new UsageError(`--lora-alpha must be a positive number, got '${values['lora-alpha']}'`);
    const apiKey = process.env.DISTIL_SERVE_API_KEY || undefined;
    const tinker = values['no-tinker'] ? false : { loraAlpha, apiKey };
    const running = await serve(model, { port, host: values.host ?? '127.0.0.1', seed, log, tinker });
    console.log(`distil serve: ${model.name} (${model.config.architecture}, vocabulary ${model.config.vocabSize}, context ${model.config.maxPositions}) at ${running.url}/v1${tinker ? `; Tinker protocol at ${running.url} (base model '${model.name}')` : ''}`);
    console.log(`  ${model.tokenizerNote}\n  stop strings for requests without "stop": ${JSON.stringify(stop)} (${source})`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await running.close();
    console.log('distil serve: stopped');
    return 0;
  },
};
export default serveCmd;
