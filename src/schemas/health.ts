import Type, { type Static } from 'typebox'

/** GET /health: the process runs. */
export const Health = Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] })

export type Health = Static<typeof Health>

/** GET /ready: MySQL answers; Redis is reported, not required. */
export const Ready = Type.Object({
  status: Type.Literal('ready'),
  mysql: Type.Literal('up'),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')], { description: 'down: the service answers without its cache' })
}, { examples: [{ status: 'ready', mysql: 'up', redis: 'up' }] })

export type Ready = Static<typeof Ready>
