/** Builds web/ into web/dist (see build.mjs). */
export function buildWeb(): Promise<void>
