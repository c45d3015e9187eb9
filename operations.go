package licet

// Error codes of running licet: tokens, backups and restores.
const (
	// CodeLastOperatorToken: the change would leave no active operator token, locking every
	// operator out.
	CodeLastOperatorToken = "LastOperatorToken"
	// CodeDatabaseInUse: a running server holds the database a restore would replace.
	CodeDatabaseInUse = "DatabaseInUse"
	// CodeForeignSigningKey: a backup was made under another signing key than the one given.
	CodeForeignSigningKey = "ForeignSigningKey"
)
