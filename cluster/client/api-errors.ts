// Errors the API answers, one class per Kubernetes Status reason, so callers branch with
// `instanceof NotFoundError` (or isNotFound) as client-go callers use apierrors.IsNotFound.
import type { Status } from '../../common/api-types.js';
import { KubewireError } from '../../common/errors.js';

/** Any non-2xx answer from the apiserver, carrying its Status body. */
export class ApiError extends KubewireError {
  constructor(
    public readonly status: Status,
    /** `GET /api/v1/namespaces/default/pods/x`: what was asked. */
    public readonly request: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${request}: ${status.code ?? '?'} ${status.reason ?? 'Unknown'}: ${status.message ?? ''}`.trimEnd(),
      options,
    );
  }
  get code(): number {
    return this.status.code ?? 0;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

export class BadRequestError extends ApiError {}
export class UnauthorizedError extends ApiError {}
export class ForbiddenError extends ApiError {}
export class NotFoundError extends ApiError {}
export class MethodNotAllowedError extends ApiError {}
export class AlreadyExistsError extends ApiError {}
/** 409 Conflict: an update with a stale resourceVersion (optimistic concurrency lost). */
export class ConflictError extends ApiError {}
/** 410 Expired/Gone: a list or watch from a resourceVersion the store has compacted away. */
export class ExpiredError extends ApiError {}
export class RequestEntityTooLargeError extends ApiError {}
export class UnsupportedMediaTypeError extends ApiError {}
export class InvalidError extends ApiError {}
export class TooManyRequestsError extends ApiError {}
export class InternalServerError extends ApiError {}
export class ServiceUnavailableError extends ApiError {}
export class TimeoutError extends ApiError {}

/** The transport failed before any HTTP answer (connection refused, reset, TLS). */
export class ApiConnectionError extends KubewireError {
  constructor(
    public readonly request: string,
    options: { cause: unknown },
  ) {
    super(`${request}: cannot reach the apiserver`, options);
  }
}

type ErrorClass = new (status: Status, request: string, options?: { cause?: unknown }) => ApiError;

const byReason: Record<string, ErrorClass> = {
  BadRequest: BadRequestError,
  Unauthorized: UnauthorizedError,
  Forbidden: ForbiddenError,
  NotFound: NotFoundError,
  MethodNotAllowed: MethodNotAllowedError,
  AlreadyExists: AlreadyExistsError,
  Conflict: ConflictError,
  Expired: ExpiredError,
  Gone: ExpiredError,
  RequestEntityTooLarge: RequestEntityTooLargeError,
  UnsupportedMediaType: UnsupportedMediaTypeError,
  Invalid: InvalidError,
  TooManyRequests: TooManyRequestsError,
  InternalError: InternalServerError,
  ServiceUnavailable: ServiceUnavailableError,
  Timeout: TimeoutError,
};

// When the body carries no reason (a proxy, a bare 404), the code still decides the class,
// as apierrors.reasonForError does in client-go.
const byCode: Record<number, ErrorClass> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  405: MethodNotAllowedError,
  409: ConflictError,
  410: ExpiredError,
  413: RequestEntityTooLargeError,
  415: UnsupportedMediaTypeError,
  422: InvalidError,
  429: TooManyRequestsError,
  500: InternalServerError,
  503: ServiceUnavailableError,
  504: TimeoutError,
};

/** Builds the typed error for an HTTP answer; `body` is the raw response text. */
export function apiErrorFrom(code: number, body: string, request: string): ApiError {
  let status: Status | undefined;
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed && parsed.kind === 'Status') status = parsed as Status;
  } catch {
    // Not JSON: keep the text as the message below.
  }
  status ??= { kind: 'Status', status: 'Failure', code, message: body.slice(0, 500) };
  if (status.code === undefined) status.code = code;
  return statusToError(status, request);
}

/** A Status (from an HTTP body or a watch ERROR event) as its typed error. */
export function statusToError(status: Status, request: string): ApiError {
  const cls = (status.reason && byReason[status.reason]) || byCode[status.code ?? 0] || ApiError;
  return new cls(status, request);
}

export const isNotFound = (e: unknown): e is NotFoundError => e instanceof NotFoundError;
export const isAlreadyExists = (e: unknown): e is AlreadyExistsError => e instanceof AlreadyExistsError;
export const isConflict = (e: unknown): e is ConflictError => e instanceof ConflictError;
export const isExpired = (e: unknown): e is ExpiredError => e instanceof ExpiredError;
