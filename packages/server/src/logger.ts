/**
 * pino JSON logs. Redaction is a safety net, not the plan: card data and secrets are never
 * passed to the logger on purpose; these paths catch the accidents (a header dump, an error
 * carrying a request body, a config object).
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  // card fields, wherever they travel
  'card.number',
  'card.cvc',
  '*.card.number',
  '*.card.cvc',
  '*.*.card.number',
  '*.*.card.cvc',
  'number',
  'cvc',
  '*.number',
  '*.cvc',
  'pan',
  '*.pan',
  // client secrets and keys
  'client_secret',
  '*.client_secret',
  '*.*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'secret_key',
  '*.secret_key',
  'secretKey',
  '*.secretKey',
  'publishable_key',
  '*.publishable_key',
  'serverSecret',
  'clientSecretKey',
  'vaultKey',
  '*.serverSecret',
  '*.clientSecretKey',
  '*.vaultKey',
  // webhook endpoint signing secrets (whsec_…) and the headers signed with them
  'secret',
  '*.secret',
  '*.*.secret',
];

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'kassa' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
