// Typed calls to the UI server (common/ui-contract.ts). The session cookie travels with each
// request; an error comes back as data and is raised here as a CallError with its code.
import type { CallName, CallRequest, CallResponse, ErrorCode, Result } from '../common/ui-contract.js';

export class CallError extends Error {
  constructor(
    readonly code: ErrorCode | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

export class ApiClient {
  constructor(private readonly base: string) {}

  async call<K extends CallName>(name: K, request: CallRequest<K>): Promise<CallResponse<K>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/call/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new CallError('network', `${name}: server unreachable (${String(err)})`);
    }
    let body: Result<CallResponse<K>>;
    try {
      body = (await res.json()) as Result<CallResponse<K>>;
    } catch {
      throw new CallError('internal', `${name}: HTTP ${res.status} without a JSON body`);
    }
    if (!body.ok) throw new CallError(body.error.code, body.error.message);
    return body.result;
  }
}
