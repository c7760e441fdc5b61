// Types for openapi-sample.mjs, which test/worker/principals.test.ts imports.
export interface Operation {
  method: string
  path: string
  op: any
}
export function operations(doc: any): Operation[]
export function sample(doc: any, schema: any, depth?: number): unknown
export function sampleRequest(
  doc: any,
  operation: Operation,
  param?: string,
): { url: string; body?: unknown; form?: [string, string | { file: true }][] }
