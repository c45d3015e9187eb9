-- licet_assert fails the statement that calls it, and the transaction with it, unless ok holds:
-- a statement sent together with COMMIT (store.Pipelined) checks its own row counts so.
CREATE FUNCTION licet_assert(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION '%', message USING ERRCODE = 'P0004'; -- assert_failure
    END IF;
    RETURN true;
END
$$;
