-- Each delivery of the outbox is for one destination (the webhook, the mail), so that
-- one that fails is retried alone, and another that succeeded is not sent again.
-- The deliveries waiting from before were all the webhook's.
ALTER TABLE outbox ADD COLUMN destination TEXT NOT NULL DEFAULT 'webhook';
