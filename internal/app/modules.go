package app

// modules is the registry of business modules, in a stable order. Each entry wires one bounded context: its
// migrations, the services it needs from the modules it Requires, and its routes and workers. The modules
// themselves (iam, merchant, catalog, order, …) are added here as they are built.
func modules() []Module {
	return []Module{}
}
