import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// Placeholder: filled in by its own change.
const orders: FastifyPluginAsyncTypebox = async () => {}

export default orders
