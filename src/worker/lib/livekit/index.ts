/** LiveKit through `livekit-server-sdk`: nodes, tokens, RoomService, Egress, webhooks, errors. */
export * from './errors'
export * from './nodes'
export * from './tokens'
export * from './room-service'
export * from './egress'
export * from './webhook'
