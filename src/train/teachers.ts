/** Builds the teacher an algorithm asks for, and the reference policy for KL measurements. */
import type { AlgorithmNeeds } from '../algorithms/types.ts';
import { LocalBackend } from '../backends/local.ts';
import { OpenAICompatibleBackend } from '../backends/openai.ts';
import type { PolicyBackend } from '../backends/types.ts';
import { loadModelFolder } from '../models/folder.ts';
import { transformerFromWeights } from '../models/transformer-io.ts';
import type { Tokenizer } from '../models/tokenizer.ts';
import { checkSameTokenizer } from '../teachers/alignment.ts';
import { emaTeacher, externalTeacher, frozenTeacher, liveTeacher } from '../teachers/backend-teachers.ts';
import { expertTeacher, referenceExpert } from '../teachers/expert.ts';
import type { Teacher } from '../teachers/types.ts';

export async function makeTeacher(needs: AlgorithmNeeds, student: PolicyBackend, tokenizer: Tokenizer, teacherModel: string): Promise<Teacher | null> {
  const t = needs.teacher;
  if (!t) return null;
  switch (t.kind) {
    case 'live':
      return liveTeacher(student);
    case 'frozen':
      return frozenTeacher(student);
    case 'ema':
      return emaTeacher(student, t.emaRate);
    case 'expert':
      return expertTeacher(referenceExpert({ encode: (s) => tokenizer.encode(s), eosId: tokenizer.eosId, vocabSize: student.vocabSize }), student.vocabSize);
    case 'external': {
      if (!teacherModel) throw new Error("an 'external' teacher needs teacherModel (a model folder, the URL of an OpenAI-compatible server, or tinker:NAME)");
      if (teacherModel.startsWith('tinker:')) {
        // Another base model of the same Tinker service (same tokenizer required by the service's menu).
        if (!student.baseModelSampler) throw new Error(`teacherModel ${teacherModel} names a Tinker base model; that needs backend tinker`);
        return externalTeacher(await student.baseModelSampler(teacherModel.slice('tinker:'.length)), `external(${teacherModel})`);
      }
      if (/^https?:\/\//.test(teacherModel)) {
        // A server (distil serve, vLLM): same tokenizer required, checked before any step.
        const remote = await OpenAICompatibleBackend.connect({ baseURL: teacherModel, tokenizer, vocabSize: student.vocabSize });
        await remote.checkTokenizer(tokenizer);
        return externalTeacher(remote, `external(${teacherModel})`);
      }
      const f = loadModelFolder(teacherModel);
      if (!f.tokenizer) throw new Error(`teacher model ${teacherModel} has no tokenizer`);
      checkSameTokenizer(tokenizer, f.tokenizer, `teacher at ${teacherModel}`);
      return externalTeacher(new LocalBackend(transformerFromWeights(f.config, f.weights, teacherModel), { tokenizer: f.tokenizer }), `external(${teacherModel})`);
    }
  }
}
