import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// Placeholder: filled in by its own change.
const products: FastifyPluginAsyncTypebox = async () => {}

export default products
