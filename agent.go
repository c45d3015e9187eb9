package licet

// Error codes of the client agent's state directory (client/agent): raised on the machine, shown
// by `licet client …`, never answered by the API.
const (
	// CodeStateCorrupt: the state file cannot be read as agent state.
	CodeStateCorrupt = "StateCorrupt"
	// CodeStateUnreadable: the state file exists but cannot be read (permissions).
	CodeStateUnreadable = "StateUnreadable"
	// CodeStateUnwritable: the state directory cannot be created or written.
	CodeStateUnwritable = "StateUnwritable"
)
