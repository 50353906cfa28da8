/**
 * Exit codes and the errors that carry them. A script calling `kassa` can tell what went wrong
 * from the code alone: it called the command wrongly (2), Kassa refused the request (3), Kassa
 * could not be reached (4), or Kassa failed (5); anything else is 1.
 */

export const ExitCode = {
  Ok: 0,
  /** Anything not below: the server did not start, a flow did not end as expected, a bug. */
  Failure: 1,
  /** The command line or the configuration is wrong: unknown command or flag, bad value, unknown event, invalid config file, no key to use. */
  Usage: 2,
  /** Kassa answered with a 4xx error (bad key, unknown object, invalid parameter, wrong state, decline). */
  ApiError: 3,
  /** Kassa could not be reached: connection refused, name not resolved, timed out. */
  Unreachable: 4,
  /** Kassa answered with a 5xx error (the provider did not answer, …): retrying may help. */
  ServerError: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
    this.name = 'UsageError';
  }
}

/** Kassa's Stripe-shaped error object, as much of it as the CLI shows. */
export interface ApiErrorBody {
  type: string;
  code?: string | undefined;
  message: string;
  param?: string | undefined;
  decline_code?: string | undefined;
  /** A decline names its intent (Stripe's `payment_intent` on a card error). */
  payment_intent?: { id?: unknown } | undefined;
}

export class ApiError extends CliError {
  readonly status: number;
  readonly body: ApiErrorBody;
  constructor(status: number, body: ApiErrorBody) {
    super(body.message, status >= 500 ? ExitCode.ServerError : ExitCode.ApiError);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

export class UnreachableError extends CliError {
  constructor(message: string, cause: unknown) {
    super(message, ExitCode.Unreachable, { cause });
    this.name = 'UnreachableError';
  }
}
