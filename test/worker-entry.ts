// The Worker as tests run it inside workerd: the production entry, with the objects tests steer
// replaced by their test subclasses (test/objects/test-classes.ts) under the same names.
export * from '../src/worker/index'
export { default } from '../src/worker/index'
export {
  ChatRoom,
  ConferenceRoom,
  LiveChatSession,
  LiveSessionRoom,
  MetricsRegistry,
} from './objects/test-classes'
