// Kubernetes Status bodies for every failure the apiserver answers, worded as k8s.io/apimachinery's
// errors package words them, because clients (kubectl, client-go, client-node) branch on
// reason/code and users read the message.
import { KubewireError } from '../../common/errors.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A failure that leaves the server as a Status body; thrown anywhere in the request chain. */
export class ApiError extends KubewireError {
  constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Warnings collected before the failure (admission), sent as Warning headers with it. */
  warnings?: string[];

  toStatus(): StatusBody {
    const s: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    if (!this.reason) delete s.reason;
    return s;
  }
}

/** What an error message calls a resource: `pods`, `deployments.apps`. */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (resource: string, group: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const alreadyExists = (resource: string, group: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const conflict = (resource: string, group: string, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const STALE = 'the object has been modified; please apply your changes to the latest version and try again';

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const methodNotAllowed = (): ApiError =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

export const resourceNotFound = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooLarge = (limit: number): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const unsupportedMediaType = (accepted: string[]): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );

export const internalError = (err: unknown): ApiError =>
  new ApiError(
    500,
    'InternalError',
    `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: err instanceof Error ? err.message : String(err) }] },
    { cause: err },
  );

/** One field-level problem, as field.Error prints it: `spec.ports[0].port: Invalid value: 0: must be ...`. */
export interface FieldError {
  type:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueDuplicate'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong'
    | 'FieldValueTypeInvalid';
  field: string;
  detail: string;
  value?: unknown;
}

const TYPE_WORDS: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTypeInvalid: 'Invalid value',
};

function fieldErrorBody(e: FieldError): string {
  let s = TYPE_WORDS[e.type];
  if (
    e.type === 'FieldValueInvalid' ||
    e.type === 'FieldValueNotSupported' ||
    e.type === 'FieldValueDuplicate' ||
    e.type === 'FieldValueTypeInvalid'
  ) {
    if (e.value !== undefined)
      s += `: ${typeof e.value === 'string' ? JSON.stringify(e.value) : JSON.stringify(e.value)}`;
  }
  return e.detail ? `${s}: ${e.detail}` : s;
}

/** 422 Invalid, with one cause per field error (StatusReasonInvalid). */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const texts = errors.map((e) => `${e.field}: ${fieldErrorBody(e)}`);
  const joined = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

export function successStatus(
  details: StatusDetails,
): Omit<StatusBody, 'message' | 'reason' | 'code'> & { code?: number } {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
