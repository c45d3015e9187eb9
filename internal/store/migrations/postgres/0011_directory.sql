-- Directory-based activation: a kms-host key activates KMS hosts and directories (which hold an
-- activation object); both count against the key's host limit, in kms_hosts.

-- kind: host | directory. For a directory, host_id is the directory's id, host_key is empty and
-- directory is its name (e.g. corp.example).
ALTER TABLE kms_hosts ADD COLUMN kind TEXT NOT NULL DEFAULT 'host';
ALTER TABLE kms_hosts ADD COLUMN directory TEXT NOT NULL DEFAULT '';
