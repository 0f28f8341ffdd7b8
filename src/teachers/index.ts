/** Teachers: live, frozen, ema(rate), external, expert. */
export type { Teacher, TeacherRequest } from './types.ts';
export { liveTeacher, frozenTeacher, emaTeacher, externalTeacher } from './backend-teachers.ts';
export { expertTeacher, referenceExpert, type ExpertPolicy, type ExpertDistribution } from './expert.ts';
export { checkSameTokenizer } from './alignment.ts';
