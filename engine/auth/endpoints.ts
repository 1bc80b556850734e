/**
 * Endpoint classes and role rules. Gateways pass the endpoint they serve as a string: a gRPC
 * method path (`/aurex.v1.Trading/SubmitOrder`), a bare method name (`SubmitOrder`) or a TCP
 * message name (`tcp.NewOrder`). Only the last path/dot segment is classified, by name:
 *   order  - Submit*, New*, Place*, Cancel*, Replace*, Amend*, Modify*, MassCancel*   (trader, admin)
 *   admin  - anything under an Admin service, or named Admin*                       (admin only)
 *   query  - everything else                                                          (every role)
 * `endpointClasses` in the options overrides the rule for named endpoints.
 */
import { AurexError, Code } from '../codes.ts';
import type { Role } from '../types.ts';

export type EndpointClass = 'order' | 'query' | 'admin';

const ORDER_RE = /^(submit|new|place|cancel|replace|amend|modify|masscancel)/i;

export class EndpointClassifier {
  private readonly memo = new Map<string, EndpointClass>();
  constructor(private readonly overrides: Record<string, EndpointClass> = {}) {}

  classify(endpoint: string): EndpointClass {
    let c = this.memo.get(endpoint);
    if (c !== undefined) return c;
    c = this.overrides[endpoint];
    if (c === undefined) {
      const parts = endpoint.split(/[/.]/).filter(Boolean);
      const name = parts.length ? parts[parts.length - 1] : endpoint;
      const override = this.overrides[name];
      if (override !== undefined) c = override;
      else if (/admin/i.test(endpoint)) c = 'admin';
      else if (ORDER_RE.test(name)) c = 'order';
      else c = 'query';
    }
    // Endpoint names come from the gateways' own tables, so the memo stays small; guard anyway.
    if (this.memo.size < 4096) this.memo.set(endpoint, c);
    return c;
  }
}

/** Whether `role` may call an endpoint of class `c`. */
export function roleAllows(role: Role, c: EndpointClass): boolean {
  if (c === 'query') return true;
  if (c === 'order') return role === 'trader' || role === 'admin';
  return role === 'admin';
}

export function permissionDenied(role: Role, endpoint: string): AurexError {
  return new AurexError(Code.PERMISSION_DENIED, `role ${role} may not call ${endpoint}`);
}
