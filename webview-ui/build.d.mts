/** Types for build.mjs (imported by scripts/build.mjs and the webview tests). */
export interface BuildDashboardOptions {
  /** Output folder, relative to the repository root or absolute (default dist/webview). */
  outdir?: string;
  minify?: boolean;
  sourcemap?: boolean;
}
export function buildDashboard(opts?: BuildDashboardOptions): Promise<{ outdir: string; js: string; css: string; metafile: unknown }>;
