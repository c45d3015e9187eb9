package licet

// Error codes of directory-based activation (a directory's activation object read by machines
// that are members of the directory).
const (
	// CodeDirectoryBindFailed: the machine could not bind to the directory (wrong credentials,
	// not a member, certificate refused, TLS failure).
	CodeDirectoryBindFailed = "DirectoryBindFailed"
	// CodeDirectoryUnavailable: no directory server answered.
	CodeDirectoryUnavailable = "DirectoryUnavailable"
	// CodeActivationObjectNotFound: the directory holds no activation object for the product.
	CodeActivationObjectNotFound = "ActivationObjectNotFound"
	// CodeActivationObjectInvalid: an activation object was found but refused: its signature,
	// product group, tenant or expiry does not verify.
	CodeActivationObjectInvalid = "ActivationObjectInvalid"
)
