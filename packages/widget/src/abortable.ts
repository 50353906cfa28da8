/**
 * Waits for `register`'s callback, `ms` to pass (0: no time limit), or `signal` to abort —
 * whichever comes first — and always cleans up. One helper for every wait in the flow (frame replies, 3-D Secure,
 * polls), so none of them can outlive its run or leak a timer.
 */
export function abortable<T>(
  signal: AbortSignal,
  ms: number,
  onStop: T,
  register: (settle: (value: T) => void) => () => void,
): Promise<T> {
  return new Promise((resolve) => {
    let unregister = () => {};
    const settle = (value: T) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      unregister();
      resolve(value);
    };
    const stop = () => settle(onStop);
    const timer = ms > 0 ? setTimeout(stop, ms) : undefined;
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    unregister = register(settle);
  });
}
