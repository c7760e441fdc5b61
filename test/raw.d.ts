/** A file's text, as vite's `?raw` import gives it (test/worker/run-worker-first.test.ts reads wrangler.toml). */
declare module '*?raw' {
  const text: string
  export default text
}
