-- The webhook worker asks every second which webhooks have a delivery due
-- (status = 'pending' AND next_attempt_at <= now). Only pending deliveries are indexed, so the
-- question costs the number of deliveries waiting, not the 30 days of deliveries kept.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, webhook_id) WHERE status = 'pending';
