import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// Placeholder: filled in by its own change.
const external: FastifyPluginAsyncTypebox = async () => {}

export default external
