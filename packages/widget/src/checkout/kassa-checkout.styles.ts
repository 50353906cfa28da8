import { css } from '../kassa-element.js';

// Kept short on purpose: this ships in the 12 KB script-tag bundle.
export const styles = css`
  :host {
    display: block;
    position: relative;
    max-width: var(--kassa-max-width, 28rem);
    font: var(--kassa-font-size, 1rem) var(--kassa-font-family, system-ui, sans-serif);
    /* The page's own text colour unless told otherwise, so a dark page needs no setting. */
    color: var(--kassa-color-text, inherit);
  }
  /* Light text around the element (see appearance.ts): colours that read on a dark page. */
  :host(:state(dark)) {
    --kassa-color-danger: #ff9c8f;
    --kassa-color-success: #6ce9a6;
    --kassa-color-link: #8ab8ff;
    --kassa-focus-ring: 2px solid #8ab8ff;
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
    display: block;
    width: 100%;
    border: 0;
    /* The card frame reports its own height once loaded; this avoids a jump before it does. */
    height: var(--kassa-frame-height, 9.5rem);
  }
  .card-frame {
    /* The frame keeps 4px inside its edges for the focus ring; pull it out by as much, so the
       fields line up with the button. No radius here: a round iframe would cut off the fields
       (--kassa-radius rounds the fields themselves, inside). */
    width: calc(100% + 8px);
    margin: -4px;
  }
  .wait {
    /* Loading, or behind the saved card: laid out (so it measures itself), never seen or focused. */
    visibility: hidden;
    position: absolute;
  }
  .challenge {
    /* Until the bank's page reports its height. */
    height: var(--kassa-challenge-height, 22rem);
    max-height: 90vh;
    border: 1px solid var(--kassa-color-border, #8a94a6);
    border-radius: var(--kassa-radius, 0.5rem);
  }
  .pay {
    min-height: 2.75rem; /* a comfortable touch target */
    padding: 0.5rem 1rem;
    /* Transparent, but drawn in forced-colors mode, where backgrounds are dropped. */
    border: 2px solid transparent;
    border-radius: var(--kassa-radius, 0.5rem);
    background: var(--kassa-color-primary, #0a58ca);
    color: var(--kassa-color-on-primary, #fff);
    font: inherit;
    font-weight: 600;
    cursor: pointer;
  }
  /* A slow pulse while paying; still for shoppers who ask for less motion. */
  .pay[aria-disabled='true'] {
    opacity: 0.7;
    cursor: progress;
    animation: kassa-busy 0.8s ease-in-out infinite alternate;
  }
  @keyframes kassa-busy {
    to {
      opacity: 0.45;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .pay {
      animation: none !important;
    }
  }
  label {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-height: 24px;
  }
  input[type='checkbox'] {
    /* WCAG 2.5.8: at least 24 × 24 px. */
    width: 24px;
    height: 24px;
    margin: 0;
    accent-color: var(--kassa-color-primary, #0a58ca);
  }
  .link {
    align-self: start;
    min-height: 24px;
    padding: 2px 0;
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
