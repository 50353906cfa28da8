export declare const BUDGET_BYTES: number;
export declare function gzipSize(bytes: Uint8Array): number;
export interface BundleSize {
  name: string;
  files: string[];
  raw: number;
  gzip: number;
  budget: number;
}
export declare function bundleSizes(): BundleSize[];
export declare function localeChunks(): { file: string; gzip: number }[];
