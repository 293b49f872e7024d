-- Expand: add the new column; old code ignores it, new code writes it.
ALTER TABLE orders ADD COLUMN total_cents bigint;
