-- Contract: only safe once no session of the old app version is left
-- (see the `drained` gate on the stage before this one).
ALTER TABLE orders DROP COLUMN total;
