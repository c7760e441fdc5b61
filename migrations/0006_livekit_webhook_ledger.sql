CREATE TABLE `livekit_webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`room` text NOT NULL,
	`subject` text,
	`event` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `livekit_webhook_events_subject_idx` ON `livekit_webhook_events` (`room`,`subject`,`created_at`);--> statement-breakpoint
CREATE INDEX `livekit_webhook_events_expires_idx` ON `livekit_webhook_events` (`expires_at`);