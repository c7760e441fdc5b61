CREATE TABLE `car_positions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` text NOT NULL,
	`lat` real NOT NULL,
	`lng` real NOT NULL,
	`speed` real,
	`heading` real,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `car_tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `car_positions_task_idx` ON `car_positions` (`task_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `car_tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`room` text,
	`case_id` text,
	`car_no` text NOT NULL,
	`status` text DEFAULT 'assigned' NOT NULL,
	`detail` text,
	`lat` real,
	`lng` real,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `car_tasks_room_idx` ON `car_tasks` (`room`);--> statement-breakpoint
CREATE INDEX `car_tasks_status_idx` ON `car_tasks` (`status`);--> statement-breakpoint
CREATE TABLE `cases` (
	`id` text PRIMARY KEY NOT NULL,
	`room` text,
	`title` text,
	`detail` text,
	`type` text,
	`status` text DEFAULT 'new' NOT NULL,
	`caller_phone` text,
	`device` text,
	`lat` real,
	`lng` real,
	`created_by` text,
	`assigned_to` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cases_status_idx` ON `cases` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `cases_room_idx` ON `cases` (`room`);--> statement-breakpoint
CREATE TABLE `chat_members` (
	`chat_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text DEFAULT 'member' NOT NULL,
	`last_read_seq` integer DEFAULT 0 NOT NULL,
	`joined_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`chat_id`, `user_id`),
	FOREIGN KEY (`chat_id`) REFERENCES `chats`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_members_user_idx` ON `chat_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `chats` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`type` text NOT NULL,
	`name` text,
	`description` text,
	`avatar_url` text,
	`direct_key` text,
	`created_by` text NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`last_message_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chats_code_uq` ON `chats` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `chats_direct_uq` ON `chats` (`direct_key`);--> statement-breakpoint
CREATE INDEX `chats_last_message_idx` ON `chats` (`last_message_at`);--> statement-breakpoint
CREATE TABLE `conference_rooms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`node` text NOT NULL,
	`service` integer DEFAULT 0 NOT NULL,
	`type` text DEFAULT 'conference' NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`case_id` text,
	`created_by` text,
	`auto_record` integer DEFAULT false NOT NULL,
	`record_type` text,
	`record_status` integer DEFAULT 0 NOT NULL,
	`record_id` text,
	`picture_key` text,
	`expires_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conference_rooms_name_uq` ON `conference_rooms` (`name`);--> statement-breakpoint
CREATE INDEX `conference_rooms_status_expires_idx` ON `conference_rooms` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `conference_rooms_case_idx` ON `conference_rooms` (`case_id`);--> statement-breakpoint
CREATE TABLE `daily_stats` (
	`day` text NOT NULL,
	`metric` text NOT NULL,
	`dimension` text DEFAULT '' NOT NULL,
	`value` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `metric`, `dimension`)
);
--> statement-breakpoint
CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`key` text NOT NULL,
	`filename` text NOT NULL,
	`mime_type` text NOT NULL,
	`size` integer NOT NULL,
	`purpose` text DEFAULT 'message' NOT NULL,
	`chat_id` text,
	`room` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `files_key_uq` ON `files` (`key`);--> statement-breakpoint
CREATE INDEX `files_user_idx` ON `files` (`user_id`);--> statement-breakpoint
CREATE INDEX `files_room_idx` ON `files` (`room`);--> statement-breakpoint
CREATE TABLE `links` (
	`id` text PRIMARY KEY NOT NULL,
	`room` text NOT NULL,
	`user_type` text NOT NULL,
	`user_name` text,
	`phone` text,
	`service` integer DEFAULT 0 NOT NULL,
	`type` text DEFAULT 'conference' NOT NULL,
	`one_time` integer DEFAULT false NOT NULL,
	`used_at` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`lat` real,
	`lng` real,
	`accuracy` integer,
	`connected_at` integer,
	`expires_at` integer NOT NULL,
	`created_by` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `links_room_idx` ON `links` (`room`);--> statement-breakpoint
CREATE INDEX `links_enabled_expires_idx` ON `links` (`enabled`,`expires_at`);--> statement-breakpoint
CREATE INDEX `links_phone_idx` ON `links` (`phone`);--> statement-breakpoint
CREATE TABLE `livechat_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`agent_id` text,
	`subject` text,
	`status` text DEFAULT 'open' NOT NULL,
	`closed_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `livechat_sessions_customer_idx` ON `livechat_sessions` (`customer_id`);--> statement-breakpoint
CREATE INDEX `livechat_sessions_agent_idx` ON `livechat_sessions` (`agent_id`,`status`);--> statement-breakpoint
CREATE TABLE `livekit_nodes` (
	`name` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`healthy` integer DEFAULT true NOT NULL,
	`last_checked_at` integer,
	`last_error` text,
	`room_count` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `live_participants` (
	`session_id` text NOT NULL,
	`user_id` text NOT NULL,
	`display_name` text NOT NULL,
	`role` text NOT NULL,
	`joined_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`left_at` integer,
	`kicked_at` integer,
	PRIMARY KEY(`session_id`, `user_id`),
	FOREIGN KEY (`session_id`) REFERENCES `live_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `live_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`session_type` text DEFAULT 'live' NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`max_participants` integer DEFAULT 100 NOT NULL,
	`is_public` integer DEFAULT true NOT NULL,
	`is_recorded` integer DEFAULT false NOT NULL,
	`invite_token_hash` text,
	`node` text,
	`recording_id` text,
	`scheduled_at` integer,
	`started_at` integer,
	`ended_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `live_sessions_public_status_idx` ON `live_sessions` (`is_public`,`status`);--> statement-breakpoint
CREATE INDEX `live_sessions_owner_idx` ON `live_sessions` (`owner_id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`chat_id` text NOT NULL,
	`seq` integer NOT NULL,
	`sender_id` text NOT NULL,
	`sender_name` text NOT NULL,
	`content` text NOT NULL,
	`type` text DEFAULT 'text' NOT NULL,
	`reply_to` text,
	`client_id` text,
	`edited_at` integer,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`chat_id`) REFERENCES `chats`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_chat_seq_uq` ON `messages` (`chat_id`,`seq`);--> statement-breakpoint
CREATE INDEX `messages_sender_idx` ON `messages` (`sender_id`);--> statement-breakpoint
CREATE INDEX `messages_created_idx` ON `messages` (`created_at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`user_id` text,
	`type` text DEFAULT 'info' NOT NULL,
	`title` text NOT NULL,
	`body` text,
	`data` text,
	`room` text,
	`read_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_channel_idx` ON `notifications` (`channel`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_unread_idx` ON `notifications` (`channel`,`read_at`);--> statement-breakpoint
CREATE TABLE `radio_cache` (
	`radio_no` text PRIMARY KEY NOT NULL,
	`device_id` text,
	`name` text,
	`lat` real,
	`lng` real,
	`payload` text,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `recordings` (
	`id` text PRIMARY KEY NOT NULL,
	`room` text NOT NULL,
	`egress_id` text,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`options` text,
	`r2_key` text,
	`size` integer,
	`duration_ms` integer,
	`error` text,
	`requested_by` text,
	`started_at` integer,
	`ended_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `recordings_egress_uq` ON `recordings` (`egress_id`);--> statement-breakpoint
CREATE INDEX `recordings_room_idx` ON `recordings` (`room`);--> statement-breakpoint
CREATE INDEX `recordings_status_idx` ON `recordings` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`family_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`revoked_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_hash_uq` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_idx` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `room_users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room` text NOT NULL,
	`identity` text NOT NULL,
	`name` text NOT NULL,
	`user_type` text NOT NULL,
	`status` text DEFAULT 'created' NOT NULL,
	`socket_id` text,
	`link_id` text,
	`device` text,
	`joined_at` integer,
	`left_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `room_users_room_identity_uq` ON `room_users` (`room`,`identity`);--> statement-breakpoint
CREATE INDEX `room_users_room_status_idx` ON `room_users` (`room`,`status`);--> statement-breakpoint
CREATE TABLE `service_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`last_used_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_clients_key_uq` ON `service_clients` (`key_hash`);--> statement-breakpoint
CREATE TABLE `service_settings` (
	`service` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`domain` text NOT NULL,
	`sms_template` text,
	`settings` text,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sms_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`phone` text NOT NULL,
	`message` text NOT NULL,
	`link_id` text,
	`room` text,
	`status` text NOT NULL,
	`error` text,
	`created_by` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sms_logs_created_idx` ON `sms_logs` (`created_at`);--> statement-breakpoint
CREATE INDEX `sms_logs_phone_idx` ON `sms_logs` (`phone`);--> statement-breakpoint
CREATE TABLE `usage_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room` text,
	`identity` text,
	`action` text NOT NULL,
	`device` text,
	`detail` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `usage_logs_room_idx` ON `usage_logs` (`room`,`created_at`);--> statement-breakpoint
CREATE INDEX `usage_logs_created_idx` ON `usage_logs` (`created_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text DEFAULT 'member' NOT NULL,
	`status` text DEFAULT 'offline' NOT NULL,
	`avatar_url` text,
	`bio` text,
	`last_seen` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_name_idx` ON `users` (`name`);--> statement-breakpoint
CREATE INDEX `users_status_idx` ON `users` (`status`);