/** The pages Worker (web/wrangler.toml, static assets only) as Miniflare worker options (see miniflare.mjs). */
export function pagesWorkerOptions(config?: string): {
  name: string
  compatibilityDate?: string
  // As wrangler makes them for its Miniflare (routing and HTML handling: wrangler's own shapes).
  assets?: { directory: string; routerConfig?: any; assetConfig?: any }
  modules: true
  script: string
}
