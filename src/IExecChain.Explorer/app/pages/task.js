// One task with its replicas, contributions, reveals, consensus, result digest, rollback window and
// verification. While it runs (or its window or verification is open) the page follows it: each
// event of the `tasks` topic for this task asks for the task again, at most every 250 ms.
import { h, replace } from '../dom.js';
import { checkId, coalesce, errorText, notFound, routeId, start } from './parts.js';
import { taskDetails } from './market-parts.js';
import { resultSection } from './task-result.js';

export default {
  path: /^\/task\/([^/?]*)$/,
  title: 'Task',
  nav: false,
  href: '/market',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Task ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'hash', 'task id')) return;
    const note = h('p', { class: 'muted', role: 'status' });
    const content = h('div');
    const problemLine = h('p', { class: 'error', role: 'alert', hidden: true });
    const result = resultSection(ctx);

    async function load() {
      const t = await ctx.rpc('iex_getTask', [id]);
      if (!t) {
        notFound(body, `No task ${id} on this chain.`);
        return null;
      }
      problemLine.hidden = true;
      replace(content, taskDetails(ctx, t));
      result.update(t);
      const done = (t.status === 'completed' || t.status === 'failed') && !(t.pending?.length) &&
        !(t.verification && ['committing', 'revealing'].includes(t.verification.phase));
      note.textContent = done ? `Final: ${t.status}.` : 'Live: updates as the task moves on.';
      return t;
    }

    const first = await load();
    if (!first) return;
    replace(body, note, problemLine, result.el, content);
    const refresh = coalesce(async () => {
      try {
        await load();
      } catch (e) {
        problemLine.textContent = `Could not refresh the task: ${errorText(e)}`;
        problemLine.hidden = false;
      }
    }, 250);
    const unsubscribe = ctx.subscribe('tasks', { taskId: id }, () => refresh.poke(), () => refresh.poke());
    return () => {
      unsubscribe();
      refresh.stop();
      result.stop();
    };
  },
};
