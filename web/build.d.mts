/** Builds web/ into web/dist (see build.mjs); answers how many files changed. */
export function buildWeb(): Promise<number>
