import { checkout, frame, shared, type Catalog } from '../en.js';

/** The whole English table, for the served locale files and the completeness test. */
export default { ...shared, ...checkout, ...frame } satisfies Catalog;
