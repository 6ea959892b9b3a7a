import assert from 'node:assert/strict'
import { test } from 'node:test'

import { appErrorsText, autofixText, compactTokens, contextText, costText, usageText, type TurnUsage } from './turnMeta.js'

const usage = (cost: number | null): TurnUsage => ({
  input_tokens: 1234,
  output_tokens: 567,
  cost_usd: cost,
  calls: 1,
  provider: 'openai',
  model: 'gpt-x',
})

test('usage reads as tokens in and out and a cost', () => {
  assert.equal(usageText(usage(0.0021)), '1,234 in · 567 out · $0.0021')
  assert.equal(usageText(usage(null)), '1,234 in · 567 out · cost unknown')
  assert.equal(usageText(usage(0)), '1,234 in · 567 out · free')
  assert.equal(costText(1.5), '$1.50')
  assert.equal(costText(0.00001), '<$0.0001')
})

test('token counts are compact', () => {
  assert.equal(compactTokens(950), '950')
  assert.equal(compactTokens(1500), '1.5k')
  assert.equal(compactTokens(2000), '2k')
  assert.equal(compactTokens(12345), '12k')
  assert.equal(compactTokens(128000), '128k')
  assert.equal(compactTokens(1_200_000), '1.2M')
})

test('the context line says what the model was sent', () => {
  const files = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
  assert.equal(
    contextText({ files, summarised: ['x', 'y', 'z'], tokens: 12000, budget: 128000 }),
    'sent 7 files, 3 summarised, 12k of 128k tokens',
  )
  assert.equal(contextText({ files: ['a'], summarised: [], tokens: 300, budget: 0 }), 'sent 1 file, 300 tokens')
})

test('automatic fix lines', () => {
  assert.equal(autofixText('started', 1, 2, 2), 'Fixing 2 errors automatically (attempt 1 of 2)…')
  assert.equal(autofixText('started', 2, 3, 1), 'Fixing 1 error automatically (attempt 2 of 3)…')
  assert.equal(autofixText('fixed', 1, 2, 0), 'Fixed.')
  assert.equal(autofixText('gave_up', 2, 2, 1), 'Stopped after 2 attempts: the app still has errors — see the console.')
  assert.equal(appErrorsText([]), 'The app reported 0 errors after deploying.')
})
