/**
 * A tokenizer's identity, so a client can tell that the server's model reads token ids the way
 * the local tokenizer writes them (a remote service has no tokenize endpoint): the sha256 of
 * its vocabulary size, special ids and the text of every id.
 */
import { createHash } from 'node:crypto';
import type { Tokenizer } from '../../models/tokenizer.ts';

export function tokenizerFingerprint(t: Tokenizer): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([t.vocabSize, t.eosId, t.bosId ?? null, t.padId]));
  for (let id = 0; id < t.vocabSize; id++) h.update(`\n${id}\t${t.idToToken(id) ?? ''}`);
  return h.digest('hex');
}
