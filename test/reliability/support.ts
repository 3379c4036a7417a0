// Shared pieces of the reliability suite: things the tests break on purpose (a Redis server of
// their own, a TCP proxy in front of MySQL, a fake supplier with its OAuth provider), real
// service processes, bounded waits and a small load generator. Every resource registers its
// own clean-up with the test that started it.
export * from './support/wait.js'
export * from './support/http.js'
export * from './support/redis-server.js'
export * from './support/tcp-proxy.js'
export * from './support/fake-supplier.js'
export * from './support/webhooks.js'
export * from './support/catalog.js'
export * from './support/service-process.js'
export * from './support/raw-http.js'
