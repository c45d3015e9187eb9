-- PostgreSQL's 0015 adds licet_assert, for statements sent together with COMMIT; SQLite runs no
-- such statement. This keeps the two schemas' versions in step.
SELECT 1;
