package output

// NewRegistryWriter exposes newRegistryWriter to the registry tests, which
// must not depend on Parse's other destinations.
var NewRegistryWriter = newRegistryWriter
