import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// Placeholder: filled in by its own change.
const auth: FastifyPluginAsyncTypebox = async () => {}

export default auth
