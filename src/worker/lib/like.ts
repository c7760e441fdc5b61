/**
 * A LIKE pattern matching values that contain `text` literally: `%`, `_` and `\` are escaped,
 * so use it with `ESCAPE '\'`. Search terms reach it through `SearchTerm`, which refuses control
 * characters (a NUL would end SQLite's pattern early).
 */
export const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
