import { describe, expect, it } from 'vitest'
import { upgradeStep, type UpgradeInput, type UpgradeState } from '../../src/objects/socketio/upgrade'

describe('Engine.IO upgrade state machine', () => {
  it('should move polling → probing → probed → upgraded and nowhere else', () => {
    const all: UpgradeInput[] = ['open', 'probe', 'upgrade', 'fail']
    const allowed = (s: UpgradeState) => all.filter((i) => upgradeStep(s, i) !== undefined)
    expect(upgradeStep('polling', 'open')).toBe('probing')
    expect(upgradeStep('probing', 'probe')).toBe('probed')
    expect(upgradeStep('probed', 'upgrade')).toBe('upgraded')
    expect(allowed('polling')).toEqual(['open'])
    expect(allowed('probing')).toEqual(['probe', 'fail'])
    expect(allowed('probed')).toEqual(['upgrade', 'fail'])
    expect(allowed('upgraded')).toEqual([])
  })

  it('should go back to polling when a probe fails, before or after 3probe', () => {
    expect(upgradeStep('probing', 'fail')).toBe('polling')
    expect(upgradeStep('probed', 'fail')).toBe('polling')
  })
})
