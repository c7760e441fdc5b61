/**
 * D1 schema (SPEC §7) for all five systems. Timestamps are epoch milliseconds; ids are text
 * (`newId()`), except where seed 000's frontends expect numbers. Room-local ordered logs live in
 * each Durable Object's own SQLite storage; D1 holds what is shared across rooms.
 */
import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

const now = sql`(unixepoch('subsec') * 1000)`
const createdAt = () => integer('created_at').notNull().default(now)
const updatedAt = () => integer('updated_at').notNull().default(now)

// ── Identity ──────────────────────────────────────────────────────────────────────────────
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['admin', 'agent', 'mentor', 'member'] })
      .notNull()
      .default('member'),
    status: text('status', { enum: ['online', 'offline', 'away', 'dnd'] })
      .notNull()
      .default('offline'),
    avatarUrl: text('avatar_url'),
    bio: text('bio'),
    lastSeen: integer('last_seen'),
    /** Set by an admin: login and refresh are refused, refresh tokens revoked. */
    disabledAt: integer('disabled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_uq').on(t.email),
    index('users_name_idx').on(t.name),
    index('users_status_idx').on(t.status),
  ],
)

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: text('family_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** Set when this token was exchanged for a new one; presenting it again is reuse. */
    usedAt: integer('used_at'),
    revokedAt: integer('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_uq').on(t.tokenHash),
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_user_idx').on(t.userId),
  ],
)

export const serviceClients = sqliteTable(
  'service_clients',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    lastUsedAt: integer('last_used_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('service_clients_key_uq').on(t.keyHash)],
)

// ── Chat (seeds 001, 003) ─────────────────────────────────────────────────────────────────
export const chats = sqliteTable(
  'chats',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull(),
    type: text('type', { enum: ['group', 'direct'] }).notNull(),
    name: text('name'),
    description: text('description'),
    avatarUrl: text('avatar_url'),
    /** For direct chats: the two user ids sorted and joined with ':' so a pair has one chat. */
    directKey: text('direct_key'),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    lastSeq: integer('last_seq').notNull().default(0),
    lastMessageAt: integer('last_message_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('chats_code_uq').on(t.code),
    uniqueIndex('chats_direct_uq').on(t.directKey),
    index('chats_last_message_idx').on(t.lastMessageAt),
  ],
)

export const chatMembers = sqliteTable(
  'chat_members',
  {
    chatId: text('chat_id')
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member'] })
      .notNull()
      .default('member'),
    lastReadSeq: integer('last_read_seq').notNull().default(0),
    joinedAt: integer('joined_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.userId] }), index('chat_members_user_idx').on(t.userId)],
)

/** D1 index of each chat DO's log: search, unread counts, cross-chat lists. The DO is the source of truth. */
export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    chatId: text('chat_id')
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    senderId: text('sender_id').notNull(),
    senderName: text('sender_name').notNull(),
    content: text('content').notNull(),
    type: text('type').notNull().default('text'),
    /** The message's files as a JSON array of {id, filename, mime_type, size} (see objects/room/commands.ts). */
    files: text('files'),
    replyTo: text('reply_to'),
    clientId: text('client_id'),
    editedAt: integer('edited_at'),
    deletedAt: integer('deleted_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('messages_chat_seq_uq').on(t.chatId, t.seq),
    index('messages_sender_idx').on(t.senderId),
    index('messages_created_idx').on(t.createdAt),
  ],
)

export const files = sqliteTable(
  'files',
  {
    id: text('id').primaryKey(),
    userId: text('user_id'),
    key: text('key').notNull(),
    filename: text('filename').notNull(),
    mimeType: text('mime_type').notNull(),
    size: integer('size').notNull(),
    purpose: text('purpose').notNull().default('message'),
    chatId: text('chat_id'),
    room: text('room'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('files_key_uq').on(t.key),
    index('files_user_idx').on(t.userId),
    index('files_room_idx').on(t.room),
  ],
)

// ── Conference gateway (seed 000) ─────────────────────────────────────────────────────────
export const liveKitNodes = sqliteTable('livekit_nodes', {
  name: text('name').primaryKey(),
  url: text('url').notNull(),
  healthy: integer('healthy', { mode: 'boolean' }).notNull().default(true),
  lastCheckedAt: integer('last_checked_at'),
  lastError: text('last_error'),
  roomCount: integer('room_count').notNull().default(0),
  updatedAt: updatedAt(),
})

export const conferenceRooms = sqliteTable(
  'conference_rooms',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    node: text('node').notNull(),
    service: integer('service').notNull().default(0),
    type: text('type').notNull().default('conference'),
    status: text('status', { enum: ['open', 'started', 'finished', 'closed'] })
      .notNull()
      .default('open'),
    caseId: text('case_id'),
    createdBy: text('created_by'),
    autoRecord: integer('auto_record', { mode: 'boolean' }).notNull().default(false),
    recordType: text('record_type'),
    recordStatus: integer('record_status').notNull().default(0),
    recordId: text('record_id'),
    pictureKey: text('picture_key'),
    expiresAt: integer('expires_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('conference_rooms_name_uq').on(t.name),
    index('conference_rooms_status_expires_idx').on(t.status, t.expiresAt),
    index('conference_rooms_case_idx').on(t.caseId),
  ],
)

/**
 * LiveKit webhooks already received: each event's `id` is kept until its signature has expired
 * (after which the same body is refused anyway), so a repeat delivery or a replay is ignored;
 * `subject` (the room, a participant, an egress) and LiveKit's `created_at` order events per room,
 * so an older event never undoes a newer state (services/webhook-ledger.ts).
 */
export const liveKitWebhookEvents = sqliteTable(
  'livekit_webhook_events',
  {
    /** LiveKit's event id (`sha256:<body hash>` for a server that sends none). */
    id: text('id').primaryKey(),
    room: text('room').notNull(),
    /** `room`, `participant:<identity>` or `egress:<id>`; null for events nothing orders (track logs). */
    subject: text('subject'),
    event: text('event').notNull(),
    /** LiveKit's `createdAt`, epoch ms. */
    createdAt: integer('created_at').notNull(),
    /** When the id may be forgotten: the signature's expiry plus the verifier's clock tolerance and a margin. */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('livekit_webhook_events_subject_idx').on(t.room, t.subject, t.createdAt),
    index('livekit_webhook_events_expires_idx').on(t.expiresAt),
  ],
)

export const roomUsers = sqliteTable(
  'room_users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    room: text('room').notNull(),
    identity: text('identity').notNull(),
    name: text('name').notNull(),
    userType: text('user_type').notNull(),
    status: text('status').notNull().default('created'),
    socketId: text('socket_id'),
    linkId: text('link_id'),
    device: text('device'),
    joinedAt: integer('joined_at'),
    leftAt: integer('left_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('room_users_room_identity_uq').on(t.room, t.identity),
    index('room_users_room_status_idx').on(t.room, t.status),
    // A one-time link yields one participant: joins look for one carrying the link.
    index('room_users_link_idx').on(t.linkId),
  ],
)

export const links = sqliteTable(
  'links',
  {
    id: text('id').primaryKey(),
    room: text('room').notNull(),
    userType: text('user_type').notNull(),
    userName: text('user_name'),
    phone: text('phone'),
    service: integer('service').notNull().default(0),
    type: text('type').notNull().default('conference'),
    oneTime: integer('one_time', { mode: 'boolean' }).notNull().default(false),
    usedAt: integer('used_at'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    lat: real('lat'),
    lng: real('lng'),
    accuracy: integer('accuracy'),
    connectedAt: integer('connected_at'),
    expiresAt: integer('expires_at').notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('links_room_idx').on(t.room),
    index('links_enabled_expires_idx').on(t.enabled, t.expiresAt),
    index('links_phone_idx').on(t.phone),
  ],
)

export const smsLogs = sqliteTable(
  'sms_logs',
  {
    id: text('id').primaryKey(),
    phone: text('phone').notNull(),
    message: text('message').notNull(),
    linkId: text('link_id'),
    room: text('room'),
    status: text('status', { enum: ['sent', 'logged', 'failed'] }).notNull(),
    error: text('error'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('sms_logs_created_idx').on(t.createdAt), index('sms_logs_phone_idx').on(t.phone)],
)

export const recordings = sqliteTable(
  'recordings',
  {
    id: text('id').primaryKey(),
    /** What is recorded: a conference room (`room` = its name) or a live session (`room` = its id). */
    owner: text('owner', { enum: ['room', 'live'] })
      .notNull()
      .default('room'),
    room: text('room').notNull(),
    egressId: text('egress_id'),
    kind: text('kind', { enum: ['room_composite', 'track_composite'] }).notNull(),
    status: text('status', {
      enum: ['queued', 'starting', 'active', 'ending', 'complete', 'failed', 'aborted'],
    }).notNull(),
    options: text('options'),
    r2Key: text('r2_key'),
    size: integer('size'),
    durationMs: integer('duration_ms'),
    error: text('error'),
    requestedBy: text('requested_by'),
    startedAt: integer('started_at'),
    endedAt: integer('ended_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('recordings_egress_uq').on(t.egressId),
    index('recordings_room_idx').on(t.room),
    index('recordings_status_idx').on(t.status, t.createdAt),
  ],
)

export const carTasks = sqliteTable(
  'car_tasks',
  {
    id: text('id').primaryKey(),
    room: text('room'),
    caseId: text('case_id'),
    carNo: text('car_no').notNull(),
    status: text('status').notNull().default('assigned'),
    detail: text('detail'),
    lat: real('lat'),
    lng: real('lng'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('car_tasks_room_idx').on(t.room), index('car_tasks_status_idx').on(t.status)],
)

export const carPositions = sqliteTable(
  'car_positions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    taskId: text('task_id')
      .notNull()
      .references(() => carTasks.id, { onDelete: 'cascade' }),
    lat: real('lat').notNull(),
    lng: real('lng').notNull(),
    speed: real('speed'),
    heading: real('heading'),
    createdAt: createdAt(),
  },
  (t) => [index('car_positions_task_idx').on(t.taskId, t.createdAt)],
)

export const cases = sqliteTable(
  'cases',
  {
    id: text('id').primaryKey(),
    room: text('room'),
    title: text('title'),
    detail: text('detail'),
    type: text('type'),
    status: text('status').notNull().default('new'),
    callerPhone: text('caller_phone'),
    device: text('device'),
    lat: real('lat'),
    lng: real('lng'),
    createdBy: text('created_by'),
    assignedTo: text('assigned_to'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('cases_status_idx').on(t.status, t.createdAt), index('cases_room_idx').on(t.room)],
)

export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    /** `user:<id>`, `org:<id>` or `broadcast`: which notification channel it belongs to. */
    channel: text('channel').notNull(),
    userId: text('user_id'),
    type: text('type').notNull().default('info'),
    title: text('title').notNull(),
    body: text('body'),
    data: text('data'),
    room: text('room'),
    readAt: integer('read_at'),
    /** When a `/notification` socket first acknowledged its `new` event (null: not yet delivered). */
    deliveredAt: integer('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_channel_idx').on(t.channel, t.createdAt),
    index('notifications_unread_idx').on(t.channel, t.readAt),
  ],
)

export const radioCache = sqliteTable('radio_cache', {
  radioNo: text('radio_no').primaryKey(),
  deviceId: text('device_id'),
  name: text('name'),
  lat: real('lat'),
  lng: real('lng'),
  payload: text('payload'),
  fetchedAt: integer('fetched_at').notNull(),
})

export const usageLogs = sqliteTable(
  'usage_logs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    room: text('room'),
    identity: text('identity'),
    action: text('action').notNull(),
    device: text('device'),
    detail: text('detail'),
    createdAt: createdAt(),
  },
  (t) => [
    index('usage_logs_room_idx').on(t.room, t.createdAt),
    index('usage_logs_created_idx').on(t.createdAt),
  ],
)

export const dailyStats = sqliteTable(
  'daily_stats',
  {
    day: text('day').notNull(),
    metric: text('metric').notNull(),
    dimension: text('dimension').notNull().default(''),
    value: integer('value').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.metric, t.dimension] })],
)

export const serviceSettings = sqliteTable('service_settings', {
  service: integer('service').primaryKey(),
  name: text('name').notNull(),
  domain: text('domain').notNull(),
  smsTemplate: text('sms_template'),
  settings: text('settings'),
  updatedAt: updatedAt(),
})

// ── Live sessions (seed 002) ──────────────────────────────────────────────────────────────
export const liveSessions = sqliteTable(
  'live_sessions',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id),
    title: text('title').notNull(),
    description: text('description'),
    sessionType: text('session_type').notNull().default('live'),
    status: text('status', { enum: ['scheduled', 'live', 'ended'] })
      .notNull()
      .default('scheduled'),
    maxParticipants: integer('max_participants').notNull().default(100),
    isPublic: integer('is_public', { mode: 'boolean' }).notNull().default(true),
    isRecorded: integer('is_recorded', { mode: 'boolean' }).notNull().default(false),
    inviteTokenHash: text('invite_token_hash'),
    node: text('node'),
    recordingId: text('recording_id'),
    scheduledAt: integer('scheduled_at'),
    startedAt: integer('started_at'),
    endedAt: integer('ended_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('live_sessions_public_status_idx').on(t.isPublic, t.status),
    index('live_sessions_owner_idx').on(t.ownerId),
  ],
)

export const liveParticipants = sqliteTable(
  'live_participants',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => liveSessions.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ['host', 'co_host', 'speaker', 'viewer'] }).notNull(),
    joinedAt: integer('joined_at').notNull().default(now),
    leftAt: integer('left_at'),
    kickedAt: integer('kicked_at'),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.userId] })],
)

// ── Live chat (seed 004) ──────────────────────────────────────────────────────────────────
export const liveChatSessions = sqliteTable(
  'livechat_sessions',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    agentId: text('agent_id'),
    subject: text('subject'),
    status: text('status', { enum: ['open', 'closed'] })
      .notNull()
      .default('open'),
    closedAt: integer('closed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('livechat_sessions_customer_idx').on(t.customerId),
    index('livechat_sessions_agent_idx').on(t.agentId, t.status),
  ],
)

// ── Operations: outbound webhooks (README "Operations") ───────────────────────────────────
/** An admin-registered receiver of events (`schemas/events.ts`). Null `service`: every service's events and those of none. */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    service: integer('service'),
    url: text('url').notNull(),
    /** JSON array of event types. */
    events: text('events').notNull(),
    /** Signs every delivery (HMAC-SHA256); shown once when created or rotated. */
    secret: text('secret').notNull(),
    description: text('description'),
    /** How many events one POST may carry (1: one event per request). */
    maxBatchSize: integer('max_batch_size').notNull().default(1),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhook_endpoints_service_idx').on(t.service)],
)

/** Deliveries that failed their last attempt, kept until an admin replays them or deletes the endpoint. */
export const webhookDeadLetters = sqliteTable(
  'webhook_dead_letters',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The event exactly as it was to be delivered (JSON). */
    event: text('event').notNull(),
    attempts: integer('attempts').notNull(),
    /** HTTP status of the last attempt; null when it never got one (network error, timeout). */
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    failedAt: integer('failed_at').notNull(),
  },
  (t) => [index('webhook_dead_letters_endpoint_idx').on(t.endpointId, t.failedAt)],
)
