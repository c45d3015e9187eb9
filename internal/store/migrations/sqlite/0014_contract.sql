-- One casing for error codes: the generic codes stored with a group license's error become
-- PascalCase like every other code (invalid → Invalid, not_found → NotFound, …).
UPDATE assignments SET error_code = CASE error_code
	WHEN 'invalid' THEN 'Invalid'
	WHEN 'not_found' THEN 'NotFound'
	WHEN 'conflict' THEN 'Conflict'
	WHEN 'unauthorized' THEN 'Unauthorized'
	WHEN 'forbidden' THEN 'Forbidden'
	WHEN 'too_large' THEN 'TooLarge'
	WHEN 'rate_limited' THEN 'RateLimited'
	WHEN 'unavailable' THEN 'Unavailable'
	WHEN 'internal' THEN 'Internal'
	WHEN 'schema_too_old' THEN 'SchemaTooOld'
	ELSE error_code END
WHERE error_code IN ('invalid', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'too_large',
	'rate_limited', 'unavailable', 'internal', 'schema_too_old');
