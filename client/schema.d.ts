/**
 * The FarmLokal service's API as TypeScript types, generated from its OpenAPI document
 * (`GET /docs/json`) by openapi-typescript. Do not edit: run `npm run client:generate`.
 */

export interface paths {
    "/api/categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Products per category for storefront filters (optionally for a search and a price range), cached in Redis
         * @description Exact counts for the catalog version they were computed under. Example: `GET /api/categories?q=organic%20tom` → `{"data":[{"category":"condiments","count":853},{"category":"vegetables","count":395}]}`.
         */
        get: operations["listCategories"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/orders/{orderId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An order as the webhooks left it: applied status and every distinct event, oldest arrival first */
        get: operations["getOrder"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/products": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A page of products: keyset pagination with filters and sorts, cached in Redis
         * @description Follow `nextCursor` (with the same filters and sort) to visit every matching product exactly once, in order, at any depth; it is null on the last page. Pages are cached under the catalog version and validated with `etag` / `if-none-match`.
         */
        get: operations["listProducts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/products/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One product */
        get: operations["getProduct"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhook": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Alias of POST /webhook/order-update (kept for existing senders)
         * @deprecated
         * @description Answered 200 once the event is committed; every later delivery of the same `event_id` is 200 with `duplicate: true`, and one with other bytes is a 409. With `order_id`, the order moves to `status` unless a newer `occurred_at` is already applied. Content type `application/json` or `application/*+json`, at most 64 KiB.
         */
        post: operations["receiveOrderWebhookAlias"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Supplier access token metadata (cache, then provider); never the token itself
         * @description Obtains the supplier access token through the token manager (shared cache, then the OAuth2 provider) and shows when it expires and where it came from. The token itself is never sent.
         */
        get: operations["getSupplierToken"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/external/products": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The supplier's product feed, with timeout, retries, circuit breaker and stale fallback
         * @description Live when the supplier answers; otherwise its last good response (`source: "stale"`); 503 with `retry-after` (seconds until the circuit's next trial) when there is none.
         */
        get: operations["getSupplierProducts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: the process runs
         * @description Always 200 while the process can answer; not rate limited. Use it as the liveness probe.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text exposition format)
         * @description Default process metrics; `http_request_duration_seconds` (histogram by `method`, `route` template and `status_code`); `products_cache_requests_total{result}`, `oauth_token_fetches_total`, `supplier_requests_total{outcome}`, `supplier_retries_total`, `supplier_circuit_state` (0 closed, 1 half-open, 2 open) and `webhook_events_total{result}`. Not rate limited, not logged below warn, not measured itself.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: 200 while MySQL answers; Redis is reported but not required
         * @description Use it as the readiness probe: 503 while MySQL does not answer. Not rate limited.
         */
        get: operations["getReady"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/test-auth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Alias of GET /auth/token (kept for existing callers)
         * @deprecated
         * @description Obtains the supplier access token through the token manager (shared cache, then the OAuth2 provider) and shows when it expires and where it came from. The token itself is never sent.
         */
        get: operations["getSupplierTokenAlias"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/test-retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Alias of GET /external/products (kept for existing callers)
         * @deprecated
         * @description Live when the supplier answers; otherwise its last good response (`source: "stale"`); 503 with `retry-after` (seconds until the circuit's next trial) when there is none.
         */
        get: operations["getSupplierProductsAlias"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhook/order-update": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Order status event (Standard Webhooks signature when WEBHOOK_SECRET is set); exactly-once per event_id
         * @description Answered 200 once the event is committed; every later delivery of the same `event_id` is 200 with `duplicate: true`, and one with other bytes is a 409. With `order_id`, the order moves to `status` unless a newer `occurred_at` is already applied. Content type `application/json` or `application/*+json`, at most 64 KiB.
         */
        post: operations["receiveOrderWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @example {
         *       "data": [
         *         {
         *           "category": "dairy",
         *           "count": 49811
         *         },
         *         {
         *           "category": "fruits",
         *           "count": 49876
         *         }
         *       ]
         *     }
         */
        CategoryCounts: {
            /** @description One entry per category with at least one matching product, ordered by category */
            data: {
                /** @example fruits */
                category: string;
                /**
                 * @description Products of this category matching the query
                 * @example 49876
                 */
                count: number;
            }[];
        };
        /**
         * @example {
         *       "status": "ok"
         *     }
         */
        Health: {
            /** @enum {string} */
            status: "ok";
        };
        /**
         * @example {
         *       "orderId": "ord_1001",
         *       "status": "shipped",
         *       "updatedAt": "2025-03-01T10:00:01.120Z",
         *       "history": [
         *         {
         *           "eventId": "evt_1",
         *           "status": "paid",
         *           "occurredAt": "2025-03-01T09:00:00.000Z",
         *           "receivedAt": "2025-03-01T09:00:00.210Z"
         *         },
         *         {
         *           "eventId": "evt_2",
         *           "status": "shipped",
         *           "occurredAt": "2025-03-01T10:00:00.000Z",
         *           "receivedAt": "2025-03-01T10:00:01.120Z"
         *         }
         *       ]
         *     }
         */
        Order: {
            history: components["schemas"]["OrderHistoryEntry"][];
            orderId: string;
            /** @description The status of the event with the newest occurred_at */
            status: string;
            /**
             * Format: date-time
             * @description When the status was last applied
             */
            updatedAt: string;
        };
        OrderHistoryEntry: {
            eventId: string;
            /** @description The event's occurred_at, or null when it carried none (its receivedAt then orders it) */
            occurredAt: string | null;
            /** Format: date-time */
            receivedAt: string;
            status: string;
        };
        /**
         * @example {
         *       "event_id": "evt_01J9Z3",
         *       "order_id": "ord_1001",
         *       "status": "shipped",
         *       "occurred_at": "2025-03-01T10:00:00.000Z"
         *     }
         */
        OrderUpdateEvent: {
            /** @description Idempotency key: one event, however often delivered */
            event_id: string;
            /**
             * Format: date-time
             * @description When the status changed at the provider (ISO 8601 with a time zone); orders never move back to an older one. Without it, the time of receipt stands in.
             */
            occurred_at?: string;
            /** @description The order whose status moves */
            order_id?: string;
            /** @description The order status this event reports */
            status: string;
        } & {
            [key: string]: unknown;
        };
        /** @description RFC 9457 problem details (application/problem+json) */
        Problem: {
            /** @example querystring/limit must be <= 100 */
            detail: string;
            instance?: string;
            requestId?: string;
            /** @example 400 */
            status: number;
            /** @example Bad Request */
            title: string;
            /** @example about:blank */
            type: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @example {
         *       "id": 1,
         *       "name": "Organic Tomatoes 1kg",
         *       "category": "vegetables",
         *       "price": 42.5,
         *       "stock": 120,
         *       "createdAt": "2025-03-01T10:00:00.000Z"
         *     }
         */
        Product: {
            /** @example vegetables */
            category: string;
            /**
             * Format: date-time
             * @description ISO 8601, UTC
             * @example 2025-03-01T10:00:00.000Z
             */
            createdAt: string;
            /** @example 1 */
            id: number;
            /** @example Organic Tomatoes 1kg */
            name: string;
            /**
             * @description Rupees, at most 2 decimals
             * @example 42.5
             */
            price: number;
            /** @example 120 */
            stock: number;
        };
        /**
         * @example {
         *       "data": [
         *         {
         *           "id": 1,
         *           "name": "Organic Tomatoes 1kg",
         *           "category": "vegetables",
         *           "price": 42.5,
         *           "stock": 120,
         *           "createdAt": "2025-03-01T10:00:00.000Z"
         *         }
         *       ],
         *       "nextCursor": "eyJ2IjoxLCJrIjpbMV19"
         *     }
         */
        ProductPage: {
            data: components["schemas"]["Product"][];
            /** @description Opaque; pass it as `cursor` with the same filters and sort for the next page. null on the last page. */
            nextCursor: string | null;
        };
        /**
         * @example {
         *       "status": "ready",
         *       "mysql": "up",
         *       "redis": "up"
         *     }
         */
        Ready: {
            /** @enum {string} */
            mysql: "up";
            /** @description down: the service answers without its cache */
            redis: "up" | "down";
            /** @enum {string} */
            status: "ready";
        };
        /**
         * @example {
         *       "data": {
         *         "products": [
         *           {
         *             "sku": "TOM-1KG",
         *             "price": 42.5
         *           }
         *         ]
         *       },
         *       "source": "live",
         *       "fetchedAt": "2025-03-01T10:00:00.000Z"
         *     }
         */
        SupplierProducts: {
            /** @description The supplier's JSON body, as it sent it */
            data: unknown;
            /**
             * Format: date-time
             * @description When this body arrived from the supplier
             */
            fetchedAt: string;
            /** @description `live`: fetched for this request; `stale`: the last good response, served while the supplier fails or the circuit is open */
            source: "live" | "stale";
        };
        /**
         * @example {
         *       "tokenType": "Bearer",
         *       "expiresAt": "2025-03-01T11:00:00.000Z",
         *       "expiresIn": 3599,
         *       "source": "provider",
         *       "fingerprint": "3f9a1c0be27d"
         *     }
         */
        TokenInfo: {
            /**
             * Format: date-time
             * @description Expiry as issued by the provider
             */
            expiresAt: string;
            /**
             * @description Seconds left until expiry
             * @example 3599
             */
            expiresIn: number;
            /** @description First 12 hex digits of sha256(token) */
            fingerprint: string;
            /** @description provider: fetched for this call; redis: shared cache; memory: this process (Redis unavailable) */
            source: "provider" | "redis" | "memory";
            /** @example Bearer */
            tokenType: string;
        };
        /**
         * @example {
         *       "received": true,
         *       "duplicate": false
         *     }
         */
        WebhookAck: {
            duplicate: boolean;
            /** @enum {boolean} */
            received: true;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listCategories: {
        parameters: {
            query?: {
                /** @description Highest price, inclusive; a plain non-negative decimal number (digits with an optional fraction, e.g. 12.50) */
                maxPrice?: string;
                /** @description Lowest price, inclusive; a plain non-negative decimal number (digits with an optional fraction, e.g. 12.50) */
                minPrice?: string;
                /** @description Count only products matching this search (same rules as `q` of GET /api/products) */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Products per category */
            200: {
                headers: {
                    /** @description `public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>` */
                    "cache-control"?: string;
                    /** @description `br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise */
                    "content-encoding"?: string;
                    /** @description Strong validator of these bytes; send it back as `if-none-match` to get a 304 */
                    etag?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description `accept-encoding`: the representation depends on it */
                    vary?: string;
                    /** @description `HIT`: served from the page cache; `MISS`: read from MySQL, then cached; `BYPASS`: Redis unavailable, read from MySQL */
                    "x-cache"?: string;
                    /** @description On a `HIT`: `memory` (this instance) or `redis` (shared) */
                    "x-cache-tier"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CategoryCounts"];
                };
            };
            /** @description Not Modified: the counts match `if-none-match`; no body */
            304: {
                headers: {
                    /** @description `public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>` */
                    "cache-control"?: string;
                    /** @description `br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise */
                    "content-encoding"?: string;
                    /** @description Strong validator of these bytes; send it back as `if-none-match` to get a 304 */
                    etag?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description `accept-encoding`: the representation depends on it */
                    vary?: string;
                    /** @description `HIT`: served from the page cache; `MISS`: read from MySQL, then cached; `BYPASS`: Redis unavailable, read from MySQL */
                    "x-cache"?: string;
                    /** @description On a `HIT`: `memory` (this instance) or `redis` (shared) */
                    "x-cache-tier"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request: the detail names the parameter (application/problem+json) */
            400: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable; retry after `retry-after` seconds (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getOrder: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The `order_id` of the webhook events */
                orderId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The order's applied status and its event history */
            200: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Order"];
                };
            };
            /** @description Invalid request: the detail names the parameter (application/problem+json) */
            400: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No webhook event named this order (application/problem+json) */
            404: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable; retry after `retry-after` seconds (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listProducts: {
        parameters: {
            query?: {
                /** @example vegetables */
                category?: string;
                /** @description nextCursor of the previous page */
                cursor?: string;
                /** @description Page size */
                limit?: number;
                /** @description Highest price, inclusive; a plain non-negative decimal number (digits with an optional fraction, e.g. 12.50) */
                maxPrice?: string;
                /** @description Lowest price, inclusive; a plain non-negative decimal number (digits with an optional fraction, e.g. 12.50) */
                minPrice?: string;
                /** @description Full-text search over the product name, case-insensitive. Every word of 3 or more letters/digits must appear in the name as a whole word, except the last word, which also matches as a prefix (type-ahead: `organic tom` finds "Organic Tomatoes 1kg"). Shorter words and stop words ("the", "with", ...) are ignored; a `q` with no word left is a 400. Combines with every filter and sort; cursors are bound to it. */
                q?: string;
                /** @description Sort order; ties broken by id in the same direction. Default `id`, or `relevance` when `q` is given; `relevance` (best match first by the full-text score, ties by id ascending) needs `q`; its cursors hold only while the catalog is unchanged (a 400 asks to start again after a catalog change). */
                sort?: "id" | "-id" | "price" | "-price" | "createdAt" | "-createdAt" | "relevance";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of products */
            200: {
                headers: {
                    /** @description `public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>` */
                    "cache-control"?: string;
                    /** @description `br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise */
                    "content-encoding"?: string;
                    /** @description Strong validator of these bytes; send it back as `if-none-match` to get a 304 */
                    etag?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description `accept-encoding`: the representation depends on it */
                    vary?: string;
                    /** @description `HIT`: served from the page cache; `MISS`: read from MySQL, then cached; `BYPASS`: Redis unavailable, read from MySQL */
                    "x-cache"?: string;
                    /** @description On a `HIT`: `memory` (this instance) or `redis` (shared) */
                    "x-cache-tier"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProductPage"];
                };
            };
            /** @description Not Modified: the page matches `if-none-match`; no body */
            304: {
                headers: {
                    /** @description `public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>` */
                    "cache-control"?: string;
                    /** @description `br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise */
                    "content-encoding"?: string;
                    /** @description Strong validator of these bytes; send it back as `if-none-match` to get a 304 */
                    etag?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description `accept-encoding`: the representation depends on it */
                    vary?: string;
                    /** @description `HIT`: served from the page cache; `MISS`: read from MySQL, then cached; `BYPASS`: Redis unavailable, read from MySQL */
                    "x-cache"?: string;
                    /** @description On a `HIT`: `memory` (this instance) or `redis` (shared) */
                    "x-cache-tier"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request: the detail names the parameter (application/problem+json) */
            400: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable; retry after `retry-after` seconds (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getProduct: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Product id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The product */
            200: {
                headers: {
                    /** @description `public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>` */
                    "cache-control"?: string;
                    /** @description `br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise */
                    "content-encoding"?: string;
                    /** @description Strong validator of these bytes; send it back as `if-none-match` to get a 304 */
                    etag?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description `accept-encoding`: the representation depends on it */
                    vary?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Product"];
                };
            };
            /** @description Not Modified: the product matches `if-none-match`; no body */
            304: {
                headers: {
                    /** @description `public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>` */
                    "cache-control"?: string;
                    /** @description `br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise */
                    "content-encoding"?: string;
                    /** @description Strong validator of these bytes; send it back as `if-none-match` to get a 304 */
                    etag?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description `accept-encoding`: the representation depends on it */
                    vary?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request: the detail names the parameter (application/problem+json) */
            400: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found (application/problem+json) */
            404: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable; retry after `retry-after` seconds (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    receiveOrderWebhookAlias: {
        parameters: {
            query?: never;
            header?: {
                /** @description Delivery id, part of the signed content */
                "webhook-id"?: string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` signatures; any may match */
                "webhook-signature"?: string;
                /** @description Seconds since the epoch; accepted within 5 minutes of our clock */
                "webhook-timestamp"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OrderUpdateEvent"];
            };
        };
        responses: {
            /** @description Received: the event is committed (now, or by an earlier delivery when `duplicate` is true) */
            200: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookAck"];
                };
            };
            /** @description Invalid body: not JSON, not UTF-8, a missing or bad member, or `occurred_at` too far ahead (application/problem+json) */
            400: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or bad Standard Webhooks signature, when WEBHOOK_SECRET is set (application/problem+json) */
            401: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This `event_id` was received with a body of other bytes (application/problem+json) */
            409: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large (application/problem+json) */
            413: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported content type (application/problem+json) */
            415: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description MySQL is unavailable; nothing was applied: deliver again later (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSupplierToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current supplier token's metadata */
            200: {
                headers: {
                    /** @description `no-store` */
                    "cache-control"?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenInfo"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The OAuth2 provider could not issue a token; the next call tries again (application/problem+json) */
            502: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The service is overloaded or a dependency is unavailable (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSupplierProducts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The supplier's feed, live or the last good copy */
            200: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SupplierProducts"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The supplier is failing and there is no earlier copy; retry after `retry-after` seconds (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is alive */
            200: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The metrics in the Prometheus text format */
            200: {
                headers: {
                    /** @description `no-store` */
                    "cache-control"?: string;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP supplier_circuit_state 0 closed, 1 half-open, 2 open
                     *     # TYPE supplier_circuit_state gauge
                     *     supplier_circuit_state 0
                     */
                    "text/plain; version=0.0.4; charset=utf-8": string;
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getReady: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready: MySQL answers */
            200: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not ready: MySQL does not answer; the problem carries `mysql` and `redis` (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSupplierTokenAlias: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current supplier token's metadata */
            200: {
                headers: {
                    /** @description `no-store` */
                    "cache-control"?: string;
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenInfo"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The OAuth2 provider could not issue a token; the next call tries again (application/problem+json) */
            502: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The service is overloaded or a dependency is unavailable (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSupplierProductsAlias: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The supplier's feed, live or the last good copy */
            200: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SupplierProducts"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The supplier is failing and there is no earlier copy; retry after `retry-after` seconds (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    receiveOrderWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Delivery id, part of the signed content */
                "webhook-id"?: string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` signatures; any may match */
                "webhook-signature"?: string;
                /** @description Seconds since the epoch; accepted within 5 minutes of our clock */
                "webhook-timestamp"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OrderUpdateEvent"];
            };
        };
        responses: {
            /** @description Received: the event is committed (now, or by an earlier delivery when `duplicate` is true) */
            200: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookAck"];
                };
            };
            /** @description Invalid body: not JSON, not UTF-8, a missing or bad member, or `occurred_at` too far ahead (application/problem+json) */
            400: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or bad Standard Webhooks signature, when WEBHOOK_SECRET is set (application/problem+json) */
            401: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This `event_id` was received with a body of other bytes (application/problem+json) */
            409: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large (application/problem+json) */
            413: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported content type (application/problem+json) */
            415: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds */
            429: {
                headers: {
                    /** @description The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset` */
                    ratelimit?: string;
                    /** @description The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own) */
                    "ratelimit-policy"?: string;
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description Requests allowed per window for this client IP */
                    "x-ratelimit-limit"?: number;
                    /** @description Requests left in the current window */
                    "x-ratelimit-remaining"?: number;
                    /** @description Seconds until the window resets */
                    "x-ratelimit-reset"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error (application/problem+json); details are logged with the request id, never sent */
            500: {
                headers: {
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description MySQL is unavailable; nothing was applied: deliver again later (application/problem+json) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "retry-after"?: number;
                    /** @description The request id (the caller's `x-request-id`, or a generated UUID); logs carry it */
                    "x-request-id"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
