// @celeriac/fastify: the integration comes in a later issue; this package exists so the workspace layout is final.
export {};
