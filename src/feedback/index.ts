/** Teacher-context templates: what the teacher sees before scoring a student completion. */
export {
  buildTeacherContext, findPeer, getTeacherContextKind, registerTeacherContext, teacherContextKinds,
  type TeacherContextInput, type TeacherContextKind,
} from './contexts.ts';
export { renderCritique, renderFeedback, renderReward, firstWrongStep } from './render.ts';
export { SLOTS, TemplateError, parseTemplate, renderTemplate, slotsOf, type SlotName } from './template.ts';
