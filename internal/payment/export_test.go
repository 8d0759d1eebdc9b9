package payment

// SetBeforeCommit makes every settling transaction of s (payments, callbacks, refunds, transfers) run f just
// before it commits: an error aborts it, as a crash between applying and committing would. Tests only.
func SetBeforeCommit(s *Service, f func(stage string) error) { s.beforeCommit = f }
