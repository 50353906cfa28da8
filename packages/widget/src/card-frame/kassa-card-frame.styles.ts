import { css } from '../kassa-element.js';

// Served under `style-src 'self'`: Lit's adopted stylesheets are allowed, inline style
// attributes are not, so nothing in the template may use `style=`. Every themable value is a
// `--k-*` custom property with the light theme as its fallback; the dark and flat themes and
// the merchant's validated variables (appearance.ts) set them on :host.
export const styles = css`
  :host {
    display: block;
    /* Room for the focus ring on every side: the iframe clips whatever crosses its edge. The
       host element pulls the iframe out by the same amount, so the fields still line up. */
    padding: 4px;
    background: var(--k-bg, transparent);
    font-family: var(--k-font, system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans', 'Microsoft YaHei', sans-serif);
    font-size: var(--k-font-size, 1rem);
    color: var(--k-text, #1a1a1a);
  }
  :host([data-theme='dark']) {
    --k-text: #f2f4f7;
    --k-text-2: #d0d5dd;
    --k-input-bg: #1d2433;
    --k-input-border: #8a94a6;
    --k-danger: #ff9c8f;
    --k-focus: #8ab8ff;
  }
  :host([data-theme='flat']) {
    --k-input-bg: #eef0f4;
    --k-input-border: #eef0f4;
    --k-radius: 4px;
  }
  .fields {
    display: grid;
    /* Two columns for expiry and CVC where they fit; one under the other on the narrowest phones. */
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 9rem), 1fr));
    gap: var(--k-gap, 0.5rem) 0.75rem;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
    min-width: 0;
  }
  .field.number {
    grid-column: 1 / -1;
  }
  label {
    font-size: 0.875em;
    font-weight: 500;
  }
  input {
    box-sizing: border-box;
    width: 100%;
    min-height: 2.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--k-input-border, #6b7280);
    border-radius: var(--k-radius, 0.5rem);
    background: var(--k-input-bg, #fff);
    color: var(--k-input-text, inherit);
    caret-color: var(--k-primary, currentColor);
    font: inherit;
    font-variant-numeric: tabular-nums;
    letter-spacing: 0.02em;
  }
  :host([data-theme='flat']) input {
    border-bottom: 2px solid var(--k-text-2, #4b5563);
  }
  input::placeholder {
    color: var(--k-text-2, #5f6673);
    opacity: 1;
  }
  input:focus-visible {
    outline: var(--k-focus-width, 2px) solid var(--k-focus, var(--k-primary, #0a58ca));
    outline-offset: 1px;
  }
  input[aria-invalid='true'] {
    border-color: var(--k-danger, #b42318);
  }
  /* The brand sits beside the label, not inside the input, so no width of field or brand
     name ("American Express") can hide the digits being typed. */
  .label-row {
    display: flex;
    justify-content: space-between;
    align-items: baseline;
    gap: 0.5rem;
  }
  .brand {
    font-size: 0.8125em;
    font-weight: 600;
    color: var(--k-text-2, #344054);
  }
  .error,
  .config-error {
    margin: 0;
    font-size: 0.8125em;
    color: var(--k-danger, #b42318);
  }
  .error {
    min-height: 1.15em;
  }
  @media (forced-colors: active) {
    input {
      border: 1px solid CanvasText;
    }
    input[aria-invalid='true'] {
      border-width: 2px;
    }
    input:focus-visible {
      outline-color: Highlight;
    }
  }
`;
