import { SocketIoHost } from './socketio/host'

/** The Durable Object for one conference room: it owns the namespace `/{room}` and its ordered chat log, and holds the Socket.IO sessions routed to it (see src/objects/socketio/host.ts). Objects named `~…` are home objects for sessions without a room hint. */
export class ConferenceRoom extends SocketIoHost {}
