/**
 * The host side of the postMessage protocol (core's frame-protocol.ts). It owns one channel
 * per checkout instance and accepts a message only when all four hold: it comes from the Kassa
 * origin, from the very window of our card (or challenge) iframe, on our channel, and in a
 * known shape. It sends only with the exact Kassa origin as target. No card data ever passes
 * through here: the frame answers a tokenize request with a token, a brand and the last 4.
 * It also writes the URLs of the pages it talks to (on the Kassa origin only, with the channel)
 * and sizes their iframes to the heights they report.
 */
import { parseChallengeToHost, parseFrameToHost, type CardBrand, type FrameToHost, type HostToFrame } from '@kassa/core';
import { ClientErrorCode } from '../errors.js';
import { abortable } from '../abortable.js';
import { randomId } from '../random.js';
import type { ApiError } from './client-api.js';

export interface Tokenized {
  token: string;
  brand: CardBrand;
  last4: string;
}

export interface BridgeHost {
  cardFrame(): HTMLIFrameElement | null;
  challengeFrame(): HTMLIFrameElement | null;
  /** What to send in `init` whenever a (re)loaded card frame says `ready`. */
  initData(): Omit<Extract<HostToFrame, { type: 'init' }>, 'kassa' | 'channel' | 'type'>;
  onFrameReady(): void;
  onFrameChange(message: Extract<FrameToHost, { type: 'change' }>): void;
  /** Enter in a card field. */
  onSubmit(): void;
}

// Distributes Omit over the union so each message keeps its own fields.
type Outgoing = HostToFrame extends infer M ? (M extends HostToFrame ? Omit<M, 'kassa' | 'channel'> : never) : never;

/** Long enough for a slow phone on a bad network, short enough that a blocked frame is reported. */
const FRAME_TIMEOUT_MS = 30_000;

const UNAVAILABLE = { error: { type: 'api_error', code: ClientErrorCode.FrameUnavailable } } as const;

/** A frame as tall as its page says; through CSSOM (not a style attribute), which a page's CSP does not block. */
const fit = (frame: HTMLIFrameElement, height: number): void => {
  frame.style.height = `${Math.ceil(height)}px`;
};

export class FrameBridge {
  readonly origin: string;
  readonly channel = randomId('ch', 12);
  readonly #host: BridgeHost;
  /** The card frame window that last said `ready`; a reloaded or replaced iframe must say it again. */
  #readyWindow: Window | null = null;
  #readyWaiters = new Set<() => void>();
  #pending = new Map<string, (result: { tokenized: Tokenized } | { error: ApiError }) => void>();
  #challengeWaiters = new Map<string, (answered: boolean) => void>();

  constructor(origin: string, host: BridgeHost) {
    this.origin = origin;
    this.#host = host;
  }

  /**
   * A Kassa page to frame (the card form, a 3-D Secure challenge, a wallet's page) with what it
   * needs to talk back: our channel, this page's origin (to post to) and the shopper's locale.
   * Null for a URL on any other origin: a page there could not be trusted to report an outcome.
   */
  framedUrl(path: string, locale: string): string | null {
    let url: URL;
    try {
      url = new URL(path, this.origin);
    } catch {
      return null;
    }
    if (url.origin !== this.origin) return null;
    url.searchParams.set('channel', this.channel);
    url.searchParams.set('origin', location.origin);
    url.searchParams.set('locale', locale);
    return url.href;
  }

  /** Window `message` listener. Everything that fails a check is dropped without a word. */
  handleMessage(event: MessageEvent): void {
    if (event.origin !== this.origin || event.source === null) return;
    const card = this.#host.cardFrame();
    if (card && event.source === card.contentWindow) {
      const message = parseFrameToHost(event.data, this.channel);
      if (message) this.#onFrameMessage(message, card);
      return;
    }
    const challenge = this.#host.challengeFrame();
    if (challenge && event.source === challenge.contentWindow) {
      const message = parseChallengeToHost(event.data, this.channel);
      if (message?.type === 'challenge_resize') fit(challenge, message.height);
      else if (message) this.#challengeWaiters.get(message.paymentIntent)?.(true);
    }
  }

  send(message: Outgoing): void {
    const target = this.#host.cardFrame()?.contentWindow;
    target?.postMessage({ kassa: 1, channel: this.channel, ...message }, this.origin);
  }

  /** Asks the frame for a token; resolves with an error (never rejects) on invalid input, timeout or abort. */
  async tokenize(signal: AbortSignal): Promise<{ tokenized: Tokenized } | { error: ApiError }> {
    if (!(await this.#whenReady(signal))) return UNAVAILABLE;
    const requestId = randomId('req', 8);
    return abortable<{ tokenized: Tokenized } | { error: ApiError }>(signal, FRAME_TIMEOUT_MS, UNAVAILABLE, (settle) => {
      this.#pending.set(requestId, settle);
      this.send({ type: 'tokenize', requestId });
      return () => this.#pending.delete(requestId);
    });
  }

  /**
   * Resolves true once the challenge page posts `challenge_complete` for this intent; false after
   * `ms` (a generous limit: the shopper may be fetching their phone for the bank's code) or on abort.
   */
  challengeComplete(paymentIntent: string, signal: AbortSignal, ms: number): Promise<boolean> {
    return abortable<boolean>(signal, ms, false, (settle) => {
      this.#challengeWaiters.set(paymentIntent, settle);
      return () => this.#challengeWaiters.delete(paymentIntent);
    });
  }

  #onFrameMessage(message: FrameToHost, frame: HTMLIFrameElement): void {
    switch (message.type) {
      case 'ready':
        this.#readyWindow = frame.contentWindow;
        this.send({ type: 'init', ...this.#host.initData() });
        for (const wake of [...this.#readyWaiters]) wake();
        this.#host.onFrameReady();
        return;
      case 'submit':
        this.#host.onSubmit();
        return;
      case 'change':
        this.#host.onFrameChange(message);
        return;
      case 'resize':
        fit(frame, message.height);
        return;
      case 'tokenized':
        // The message itself: it carries the token, the brand and the last 4 (and nothing else of the card).
        this.#pending.get(message.requestId)?.({ tokenized: message });
        return;
      case 'token_error':
        this.#pending.get(message.requestId)?.({
          error: {
            // A field means the shopper's input is incomplete or wrong: not a payment outcome.
            type: message.field ? 'validation_error' : 'api_error',
            code: message.code,
            message: message.message,
            param: message.field,
          },
        });
        return;
    }
  }

  #whenReady(signal: AbortSignal): Promise<boolean> {
    const isReady = () => {
      const current = this.#host.cardFrame()?.contentWindow ?? null;
      return current !== null && current === this.#readyWindow;
    };
    if (isReady()) return Promise.resolve(true);
    return abortable(signal, FRAME_TIMEOUT_MS, false, (settle) => {
      const wake = () => settle(isReady());
      this.#readyWaiters.add(wake);
      return () => this.#readyWaiters.delete(wake);
    });
  }
}
