import { css } from '../kassa-element.js';

// Served under `style-src 'self'`: Lit's adopted stylesheets are allowed, inline style
// attributes are not, so nothing in the template may use `style=`.
export const styles = css`
  :host {
    display: block;
    font-family: system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif;
    font-size: 1rem;
    color: #1a1a1a;
  }

  .fields {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 0.5rem 0.75rem;
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
    font-size: 0.875rem;
    font-weight: 500;
  }

  .control {
    position: relative;
    display: flex;
    align-items: center;
  }

  input {
    box-sizing: border-box;
    width: 100%;
    min-height: 2.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid #98a2b3;
    border-radius: 0.5rem;
    background: #fff;
    color: inherit;
    font: inherit;
    font-variant-numeric: tabular-nums;
    letter-spacing: 0.02em;
  }

  input:focus-visible {
    outline: 2px solid #0a58ca;
    outline-offset: 1px;
  }

  input[aria-invalid='true'] {
    border-color: #b42318;
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
    font-size: 0.8125rem;
    font-weight: 600;
    color: #344054;
    pointer-events: none;
  }

  .error {
    margin: 0;
    min-height: 1.15em;
    font-size: 0.8125rem;
    color: #b42318;
  }

  .config-error {
    margin: 0;
    color: #b42318;
  }
`;
