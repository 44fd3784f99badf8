// Governance proposals in words (shared by the governance and proposal pages). Not a page.
import { h } from '../dom.js';
import { account, idLink } from './parts.js';

/** What a proposal would do: "ChangeParameter fees.transfer = 500", "AdmitValidator 0x…". */
export function proposalAction(ctx, p) {
  const d = p.detail ?? {};
  if (d.name !== undefined) return h('span', null, `${p.action}: ${d.name} = ${ctx.format.int(d.value)}`);
  if (d.address !== undefined) {
    const target = /^Approve|^Revoke/.test(p.action) ? idLink(ctx, 'app', d.address) : account(ctx, d.address);
    return h('span', null, `${p.action}: `, target);
  }
  return p.action;
}
