import { z } from 'zod'
import type { $ZodRawIssue } from 'zod/v4/core'

type Issue = $ZodRawIssue

const things: Record<string, string> = {
  string: 'characters',
  array: 'items',
  set: 'items',
  file: 'bytes',
}

const FORMATS: Record<string, string> = {
  email: 'a valid email address',
  url: 'a valid URL',
  uuid: 'a UUID',
  datetime: 'an ISO 8601 date-time',
  date: 'an ISO 8601 date',
}

/**
 * The house style of a validation message: lowercase, about the field ("is required",
 * "must be a string", "must be at most 100 characters"), whichever schema produced it. Schemas
 * that give their own message (in the same style) keep it.
 */
export function houseMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required'
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum)
      const unit = things[issue.origin] ? ` ${things[issue.origin]}` : ''
      if (issue.code === 'too_small' && bound === 1 && issue.origin === 'string') return 'must not be empty'
      const word =
        issue.code === 'too_small'
          ? issue.inclusive === false
            ? 'greater than'
            : 'at least'
          : issue.inclusive === false
            ? 'less than'
            : 'at most'
      return `must be ${word} ${bound}${unit}`
    }
    case 'invalid_format':
      if (issue.format === 'regex')
        return `must match ${(issue as { pattern?: string }).pattern ?? 'the pattern'}`
      return `must be ${FORMATS[issue.format] ?? `a valid ${issue.format}`}`
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v: unknown) => JSON.stringify(v)).join(', ')}`
    case 'invalid_union':
      return 'matches none of the accepted forms'
    case 'unrecognized_keys':
      return `has unknown fields: ${issue.keys.join(', ')}`
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`
    default:
      return undefined
  }
}

z.config({ customError: houseMessage })
