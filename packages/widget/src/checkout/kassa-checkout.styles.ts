import { css } from '../kassa-element.js';

// Kept short on purpose: this ships in the 12 KB script-tag bundle.
export const styles = css`
  :host {
    display: block;
    max-width: var(--kassa-max-width, 28rem);
    font: var(--kassa-font-size, 1rem) var(--kassa-font-family, system-ui, sans-serif);
    color: var(--kassa-color-text, #1a1a1a);
  }
  [hidden] {
    display: none !important;
  }
  div {
    display: flex;
    flex-direction: column;
    gap: var(--kassa-gap, 0.75rem);
  }
  iframe {
    width: 100%;
    border: 0;
    /* The card frame reports its own height once loaded; this avoids a jump before it does. */
    height: var(--kassa-frame-height, 9.5rem);
  }
  .challenge {
    height: var(--kassa-challenge-height, 26rem);
    border: 1px solid var(--kassa-color-border, #d0d5dd);
  }
  iframe,
  .pay {
    border-radius: var(--kassa-radius, 0.5rem);
  }
  .pay {
    min-height: 2.75rem; /* a comfortable touch target */
    border: 0;
    background: var(--kassa-color-primary, #0a58ca);
    color: var(--kassa-color-on-primary, #fff);
    font: inherit;
    font-weight: 600;
    cursor: pointer;
  }
  .pay[aria-disabled='true'] {
    opacity: 0.7;
    cursor: progress;
  }
  .link {
    align-self: start;
    padding: 0;
    border: 0;
    background: none;
    color: var(--kassa-color-link, var(--kassa-color-primary, #0a58ca));
    font: inherit;
    text-decoration: underline;
    cursor: pointer;
  }
  :focus-visible {
    outline: var(--kassa-focus-ring, 2px solid #0a58ca);
    outline-offset: 2px;
  }
  p {
    margin: 0;
  }
  .error {
    color: var(--kassa-color-danger, #b42318);
  }
  .success {
    color: var(--kassa-color-success, #067647);
  }
`;
